"""An optional scene caption for a picture: BLIP (transformers `BlipForConditionalGeneration`,
Salesforce/blip-image-captioning-base), used only when its weights are on this machine (the
Hugging Face cache, or a folder named by MMGEN_BLIP_PATH): captioning never downloads.

The caption ("a beach at sunset with palm trees") is read by the text encoder like a prompt and
averaged with the picture's visual reading; it also goes into MusicGen's text condition.
"""

from __future__ import annotations

import threading
from typing import ClassVar

import numpy as np

from ..weights import LocalModel, cached_folder, local_override

BLIP_CHECKPOINT = "Salesforce/blip-image-captioning-base"
MAX_CAPTION_TOKENS = 24


class Captioner(LocalModel):
    _shared: ClassVar[list] = []

    @classmethod
    def folder(cls):
        return local_override("MMGEN_BLIP_PATH") or cached_folder(BLIP_CHECKPOINT)

    def __init__(self, folder) -> None:
        from transformers import AutoImageProcessor, AutoTokenizer, BlipForConditionalGeneration

        self.model = BlipForConditionalGeneration.from_pretrained(folder).eval()
        self.processor = AutoImageProcessor.from_pretrained(folder)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.lock = threading.Lock()

    def caption(self, rgb: np.ndarray) -> str:
        """rgb `[H, W, 3]` 0..1 -> a short description of the scene (greedy decoding)."""
        import torch

        pixels = self.processor(images=(rgb * 255).astype(np.uint8), return_tensors="pt")["pixel_values"]
        with self.lock, torch.inference_mode():
            ids = self.model.generate(pixel_values=pixels, max_new_tokens=MAX_CAPTION_TOKENS, do_sample=False)
        return self.tokenizer.decode(ids[0], skip_special_tokens=True).strip()
