"""CLIP reading of a picture: zero-shot scores against the musical-descriptor vocabulary.

openai/clip-vit-base-patch32 (transformers `CLIPModel`), used only when its weights are on this
machine (the Hugging Face cache, or a folder named by MMGEN_CLIP_PATH): reading never downloads.
Each descriptor's phrases are put in a picture template ("a picture that feels calm", "a picture
for lo-fi hip hop music"); a descriptor's score is its best phrase's similarity to the picture
minus the category's mean, scaled into the range of the text encoder's scores.
"""

from __future__ import annotations

import threading
from typing import ClassVar

import numpy as np

from ..weights import LocalModel, cached_folder, local_override

CLIP_CHECKPOINT = "openai/clip-vit-base-patch32"
TEMPLATES = {"moods": "a picture that feels {}", "styles": "a picture for {} music"}
SCORE_SCALE = 4.0  # CLIP similarities spread over a few hundredths; text scores over tenths


class ClipImageReader(LocalModel):
    _shared: ClassVar[list] = []

    @classmethod
    def folder(cls):
        return local_override("MMGEN_CLIP_PATH") or cached_folder(CLIP_CHECKPOINT)

    def __init__(self, folder) -> None:
        from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

        self.model = CLIPModel.from_pretrained(folder).eval()
        self.processor = AutoImageProcessor.from_pretrained(folder)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.lock = threading.Lock()
        self._phrases: dict = {}

    @staticmethod
    def _unit(output):
        import torch

        vectors = getattr(output, "pooler_output", output)  # transformers 5 returns a ModelOutput
        return torch.nn.functional.normalize(vectors, dim=-1)

    def _phrase_vectors(self, descriptors: dict) -> dict:
        """category -> name -> `[P, E]` unit text vectors of the templated phrases (cached)."""
        import torch

        if not self._phrases:
            for category, template in TEMPLATES.items():
                items = [(name, template.format(p)) for name, e in descriptors[category].items() for p in e["phrases"]]
                tokens = self.tokenizer([t for _, t in items], padding=True, truncation=True, return_tensors="pt")
                with self.lock, torch.inference_mode():
                    vectors = self._unit(self.model.get_text_features(**tokens))
                table: dict = {}
                for (name, _), vector in zip(items, vectors):
                    table.setdefault(name, []).append(vector)
                self._phrases[category] = {name: torch.stack(v) for name, v in table.items()}
        return self._phrases

    def scores(self, rgb: np.ndarray, descriptors: dict) -> dict[str, dict[str, float]]:
        """rgb `[H, W, 3]` 0..1 -> category -> name -> score (uses -1: pictures don't say them)."""
        import torch

        phrases = self._phrase_vectors(descriptors)
        pixels = self.processor(images=(rgb * 255).astype(np.uint8), return_tensors="pt")["pixel_values"]
        with self.lock, torch.inference_mode():
            image = self._unit(self.model.get_image_features(pixel_values=pixels))[0]
        result = {}
        for category, table in phrases.items():
            best = {name: float((vectors @ image).max()) for name, vectors in table.items()}
            mean = float(np.mean(list(best.values())))
            result[category] = {name: SCORE_SCALE * (value - mean) for name, value in best.items()}
        result["uses"] = dict.fromkeys(descriptors["uses"], -1.0)
        return result
