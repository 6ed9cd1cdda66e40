"""Piece: one tune or chorale as the training data holds it (parts of [onset, duration, pitch])."""

from __future__ import annotations

from dataclasses import dataclass, field

METERS = ("2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "3/8", "2/2")


@dataclass
class Piece:
    collection: str
    title: str
    meter: str  # "6/8"
    tonic_pc: int  # 0..11
    mode: str  # "major" | "minor"
    bar_q: float  # bar length in quarter notes
    parts: dict[str, list[list[float]]] = field(default_factory=dict)  # role -> [[onset_q, dur_q, pitch]]
    tempo_qpm: float | None = None  # the notated tempo, when there is one
    tune_type: str = ""  # ABC R: field ("reel", "jig", "hornpipe"...)

    @property
    def bars(self) -> int:
        end = max((n[0] + n[1] for notes in self.parts.values() for n in notes), default=0.0)
        return max(1, int(-(-end // self.bar_q)))
