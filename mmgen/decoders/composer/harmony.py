"""Chord progressions sampled from statistics of real music.

`assets/harmony/chord_stats.json` (made by `python -m mmgen.training.harmony_stats` from the
music21 corpus) holds, per mode, the chords in scale-degree form, their start probabilities,
first-order transitions and the chords heard before a final tonic. Phrases are sampled from that
Markov chain with the cadence fixed at the end.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ...music import CHORD_INTERVALS, Key
from ...paths import ASSETS

STATS_PATH = ASSETS / "harmony" / "chord_stats.json"
# Chords with notes outside the key (secondary dominants, borrowed chords) are rarer in the styles
# we write than in Bach and Haydn: damp them.
CHROMATIC_WEIGHT = 0.15
# Chorales pass through the dominant constantly (V is 22 % of their chords); the styles we write
# rest on the tonic more, so the key is heard. Applied to free choices, not to cadences.
TONIC_WEIGHT, DOMINANT_WEIGHT = 1.8, 0.7


@dataclass(frozen=True)
class Chord:
    label: str  # roman numeral, e.g. "V", "ii", "bVII"
    root_pc: int  # 0..11
    quality: str  # major | minor | diminished | augmented
    seventh: bool = False
    dominant: bool = False  # the seventh is a minor seventh whatever the label ("I7" in a blues)

    def pitch_classes(self) -> list[int]:
        pcs = [(self.root_pc + i) % 12 for i in CHORD_INTERVALS[self.quality]]
        if self.seventh:
            pcs.append((self.root_pc + self.seventh_interval) % 12)
        return pcs

    @property
    def seventh_interval(self) -> int:
        if self.dominant:
            return 10
        if self.quality == "diminished":
            return 10  # half-diminished
        if self.quality == "major" and self.label == "I":
            return 9  # the tonic takes an added sixth (I6), which keeps the key clear
        if self.quality == "minor" and self.label == "i":
            return 14  # and the minor tonic an added ninth: i7 holds the relative major's triad (Cm7 ⊃ Eb)
        if self.quality == "major" and self.label.upper().lstrip("B#") in ("IV", "III", "VI"):
            return 11  # major seventh on subdominant-family chords
        if self.label == "bVII":
            return 14  # an added ninth: bVII7 is the relative major's V7 (G7 in A minor) and pulls there
        return 10

    @property
    def third_pc(self) -> int:
        return (self.root_pc + CHORD_INTERVALS[self.quality][1]) % 12

    @property
    def fifth_pc(self) -> int:
        return (self.root_pc + CHORD_INTERVALS[self.quality][2]) % 12


_ROMAN = {"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}
_ROMAN_RE = re.compile(r"^(b|#)?(vii|iii|iv|vi|ii|v|i)(o|\+)?(7)?$", re.I)


def parse_roman(label: str, tonic_pc: int) -> Chord:
    """A roman numeral relative to the major scale of the tonic: "I", "vi", "bVII", "iv", "V7",
    "viio". Upper case is a major chord, lower case minor; "o" diminished, "+" augmented."""
    match = _ROMAN_RE.match(label)
    if not match:
        raise ValueError(f"not a roman numeral: {label!r}")
    accidental, numeral, alteration, seventh = match.groups()
    root = _ROMAN[numeral.lower()] + {"b": -1, "#": 1}.get(accidental or "", 0)
    quality = {"o": "diminished", "+": "augmented"}.get(alteration or "", "major" if numeral.isupper() else "minor")
    return Chord(label.rstrip("7"), (tonic_pc + root) % 12, quality, bool(seventh), dominant=bool(seventh))


@cache
def load_stats(path: Path = STATS_PATH) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class HarmonyModel:
    def __init__(self, key: Key, sevenths: bool, rng: random.Random) -> None:
        self.key = key
        self.mode = load_stats()["modes"][key.mode]
        self.sevenths = sevenths
        self.rng = rng
        self.tonic_label = "I" if key.mode == "major" else "i"
        # In minor the raised seventh (the leading tone of V) counts as in the key.
        in_key = set(key.scale_pcs()) | ({(key.tonic_pc + 11) % 12} if key.mode == "minor" else set())
        self.diatonic = {
            label for label in self.mode["chords"] if set(self.chord(label, False).pitch_classes()) <= in_key
        }
        self.dominant_label = (
            "V" if "V" in self.mode["chords"] else max(self.mode["cadences"], key=self.mode["cadences"].get)
        )

    def chord(self, label: str, seventh: bool | None = None) -> Chord:
        info = self.mode["chords"][label]
        add_seventh = self.sevenths if seventh is None else seventh
        return Chord(label, (self.key.tonic_pc + info["root_semitones"]) % 12, info["quality"], add_seventh)

    def _weights(self, dist: dict[str, float]) -> tuple[list[str], list[float]]:
        # The major tonic in a minor key (Bach's Picardy third) would blur the mode: leave it out.
        dist = {label: p for label, p in dist.items() if not (self.key.mode == "minor" and label == "I")} or dist
        labels = list(dist)
        gravity = {self.tonic_label: TONIC_WEIGHT, self.dominant_label: DOMINANT_WEIGHT}
        weights = [
            p * (1.0 if label in self.diatonic else CHROMATIC_WEIGHT) * gravity.get(label, 1.0)
            for label, p in dist.items()
        ]
        return labels, weights

    def _draw(self, dist: dict[str, float]) -> str:
        labels, weights = self._weights(dist)
        return self.rng.choices(labels, weights)[0]

    def phrase(self, length: int, cadence: str, start_on_tonic: bool = True) -> list[Chord]:
        """`length` chords; cadence "authentic" ends ...V I, "half" ends on V, "open" is free."""
        transitions = self.mode["transitions"]
        labels: list[str] = [self.tonic_label if start_on_tonic else self._draw(self.mode["start"])]
        targets = {"authentic": [self.dominant_label, self.tonic_label], "half": [self.dominant_label]}.get(cadence, [])
        free = length - len(targets)
        while len(labels) < free:
            row = transitions.get(labels[-1]) or self.mode["start"]
            if len(labels) == free - 1 and targets:
                # Look one step ahead so the free part leads smoothly into the cadence.
                nxt = targets[0]
                row = {c: p * transitions.get(c, {}).get(nxt, 0.01) for c, p in row.items() if c != nxt} or row
            choice = self._draw(row)
            if choice == labels[-1] and len(row) > 1:  # no immediate repeats at one chord per bar
                choice = self._draw(row)
            labels.append(choice)
        labels = (labels + targets)[:length] if length >= len(targets) else targets[-length:]
        return [
            self.chord(
                label,
                seventh=(self.sevenths and label != self.tonic_label) or (self.sevenths and self.rng.random() < 0.5),
            )
            for label in labels
        ]

    def progression(self, labels: tuple[str, ...]) -> list[Chord]:
        """A style's own progression in this key (sevenths as the style colours them)."""
        chords = []
        for label in labels:
            chord = parse_roman(label, self.key.tonic_pc)
            if self.sevenths and not chord.seventh and label not in ("I", "i"):
                chord = Chord(chord.label, chord.root_pc, chord.quality, True)
            chords.append(chord)
        return chords

    def named_cadence(self, label: str) -> Chord:
        """The chord before the final tonic when the style names it ("bVII" in rock, "IV" in gospel)."""
        if label in ("V", "v"):
            return self.cadence_chord()
        return parse_roman(label, self.key.tonic_pc)

    def cadence_chord(self) -> Chord:
        """The chord before the final tonic, drawn from the corpus's cadences."""
        label = self._draw(self.mode["cadences"])
        return self.chord(label, seventh=label == self.dominant_label)

    def tonic(self, seventh: bool = False) -> Chord:
        return self.chord(self.tonic_label, seventh=seventh)
