"""CLAP score: how well a track matches its description (cosine similarity of the CLAP text and
audio embeddings; MusicGen-small's published score on MusicCaps is 0.27).

The model is laion/larger_clap_music (transformers `ClapModel`), used only when its weights are
on this machine (the Hugging Face cache, or a folder named by MMGEN_CLAP_PATH): scoring never
downloads. Audio is scored in 10 s windows at 48 kHz (the model's training length), averaged.
"""

from __future__ import annotations

import threading
from typing import ClassVar

import numpy as np

from ..weights import LocalModel, cached_folder, local_override

CLAP_CHECKPOINT = "laion/larger_clap_music"
CLAP_RATE_HZ = 48000
WINDOW_S = 10.0
MAX_WINDOWS = 6


def clap_folder():
    return local_override("MMGEN_CLAP_PATH") or cached_folder(CLAP_CHECKPOINT)


class ClapScorer(LocalModel):
    _shared: ClassVar[list] = []

    @classmethod
    def folder(cls):
        return clap_folder()

    def __init__(self, folder) -> None:
        from transformers import AutoFeatureExtractor, AutoTokenizer, ClapModel

        self.model = ClapModel.from_pretrained(folder).eval()
        self.features = AutoFeatureExtractor.from_pretrained(folder)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.lock = threading.Lock()

    @staticmethod
    def _pooled(output):
        return getattr(output, "pooler_output", output)  # transformers 5 returns a ModelOutput

    def score(self, samples: np.ndarray, rate: int, text: str) -> float:
        """samples `[C, N]` or `[N]` -> cosine similarity with `text`, in [-1, 1]."""
        import soxr
        import torch

        mono = samples.mean(axis=0) if samples.ndim == 2 else samples
        audio = soxr.resample(mono.astype(np.float32), rate, CLAP_RATE_HZ)
        size = int(WINDOW_S * CLAP_RATE_HZ)
        count = min(MAX_WINDOWS, max(1, len(audio) // size))
        starts = np.linspace(0, max(0, len(audio) - size), count).astype(int)
        windows = [audio[s : s + size] for s in starts]  # short pieces are repeat-padded below
        inputs = self.features(
            windows, sampling_rate=CLAP_RATE_HZ, return_tensors="pt", truncation="rand_trunc", padding="repeatpad"
        )
        tokens = self.tokenizer([text or "music"], return_tensors="pt", padding=True, truncation=True)
        with self.lock, torch.inference_mode():
            audio_emb = self._pooled(self.model.get_audio_features(input_features=inputs["input_features"]))
            text_emb = self._pooled(self.model.get_text_features(**tokens))
        audio_emb = torch.nn.functional.normalize(audio_emb.mean(0, keepdim=True), dim=-1)
        text_emb = torch.nn.functional.normalize(text_emb, dim=-1)
        return float((audio_emb * text_emb).sum())


def clap_scorer() -> ClapScorer | None:
    """The shared scorer, or None when CLAP weights are not on this machine."""
    return ClapScorer.shared()
