"""The codec role: tokens -> waveform."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass
class Waveform:
    """samples: float32 `[C, N]` (channels, samples) in [-1, 1]; sample_rate_hz samples a second."""

    samples: np.ndarray
    sample_rate_hz: int

    @property
    def duration_s(self) -> float:
        return self.samples.shape[-1] / self.sample_rate_hz

    @property
    def channels(self) -> int:
        return self.samples.shape[0]


class Codec(ABC):
    token_kind: str = "score"

    @abstractmethod
    def decode(self, tokens) -> Waveform:
        """Render tokens to audio lasting exactly the tokens' intended length."""
