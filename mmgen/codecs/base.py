"""The codec role: tokens -> waveform."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Waveform:
    """samples: float32 `[C, N]` (channels, samples) in [-1, 1]; sample_rate_hz samples a second.
    stems (a produced score): role -> float32 `[C, N]`, summing to `samples`; notes: what made
    it, for the report. Loop points and cues are written into the files that can hold them
    (post/riff.py)."""

    samples: np.ndarray
    sample_rate_hz: int
    stems: dict[str, np.ndarray] | None = field(default=None, repr=False)
    notes: dict = field(default_factory=dict)
    loop_points: tuple[int, int] | None = None  # a seamless loop over samples [start, end)
    cues: list[tuple[int, str]] = field(default_factory=list)  # (sample, label) markers: entry, exit...

    @property
    def duration_s(self) -> float:
        return self.samples.shape[-1] / self.sample_rate_hz

    @property
    def channels(self) -> int:
        return self.samples.shape[0]


OUTPUT_RATE_HZ = 44100


def finished_waveform(audio: np.ndarray, rate_hz: int, end_s: float) -> Waveform:
    """A codec's raw audio `[C, N]` -> 44.1 kHz stereo cut or padded to exactly `end_s`."""
    import soxr

    audio = soxr.resample(audio.T, rate_hz, OUTPUT_RATE_HZ).T.astype(np.float32)
    if audio.shape[0] == 1:
        audio = np.repeat(audio, 2, axis=0)
    length = int(round(end_s * OUTPUT_RATE_HZ))
    audio = audio[:, :length] if audio.shape[1] >= length else np.pad(audio, ((0, 0), (0, length - audio.shape[1])))
    return Waveform(np.ascontiguousarray(audio), OUTPUT_RATE_HZ)


class Codec(ABC):
    token_kind: str = "score"

    @abstractmethod
    def decode(self, tokens) -> Waveform:
        """Render tokens to audio lasting exactly the tokens' intended length."""
