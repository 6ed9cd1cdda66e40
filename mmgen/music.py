"""Music-theory vocabulary shared by the plan, the decoders and the evaluation: keys, meters,
scales and chords. Pitches are MIDI numbers; pitch classes are 0..11 with C = 0."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidRequest

PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SHARP_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
FLAT_NAMES = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]
# Keys conventionally written with flats (by tonic pitch class).
_FLAT_MAJOR = {5, 10, 3, 8, 1, 6}  # F Bb Eb Ab Db Gb
_FLAT_MINOR = {2, 7, 0, 5, 10, 3}  # D G C F Bb Eb

SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),  # natural minor; V is raised by the harmony
}
# The melody's scales, by habit and mode, in semitones above the tonic (styles.toml `scale`).
MELODY_SCALES = {
    "diatonic": {"major": SCALES["major"], "minor": SCALES["minor"]},
    "pentatonic": {"major": (0, 2, 4, 7, 9), "minor": (0, 3, 5, 7, 10)},
    "blues": {"major": (0, 2, 3, 4, 7, 9), "minor": (0, 3, 5, 6, 7, 10)},
    "modal": {"major": (0, 2, 4, 5, 7, 9, 10), "minor": (0, 2, 3, 5, 7, 9, 10)},  # mixolydian, dorian
    "phrygian": {"major": (0, 1, 4, 5, 7, 8, 10), "minor": (0, 1, 4, 5, 7, 8, 10)},  # phrygian dominant (hijaz)
    "harmonic": {"major": SCALES["major"], "minor": (0, 2, 3, 5, 7, 8, 11)},
    "japanese": {"major": (0, 2, 5, 7, 9), "minor": (0, 1, 5, 7, 8)},  # yo, in (miyako-bushi)
}
CHORD_INTERVALS = {
    "major": (0, 4, 7),
    "minor": (0, 3, 7),
    "diminished": (0, 3, 6),
    "augmented": (0, 4, 8),
}
SEVENTHS = {"major": 10, "minor": 10, "diminished": 9, "augmented": 10}  # dominant / minor 7th
MINOR_RAISED = (9, 11)  # the raised 6th and 7th above a minor tonic (melodic and harmonic minor)


@dataclass(frozen=True)
class Key:
    tonic_pc: int  # 0..11
    mode: str  # "major" | "minor"

    @property
    def tonic_name(self) -> str:
        flats = _FLAT_MAJOR if self.mode == "major" else _FLAT_MINOR
        return (FLAT_NAMES if self.tonic_pc in flats else SHARP_NAMES)[self.tonic_pc]

    @property
    def name(self) -> str:
        return f"{self.tonic_name} {self.mode}"

    def scale_pcs(self) -> list[int]:
        return [(self.tonic_pc + step) % 12 for step in SCALES[self.mode]]

    def in_key_pcs(self) -> set[int]:
        """The pitch classes a melody in this key uses: its scale, in minor also the raised 6th
        and 7th."""
        raised = MINOR_RAISED if self.mode == "minor" else ()
        return set(self.scale_pcs()) | {(self.tonic_pc + step) % 12 for step in raised}

    def __str__(self) -> str:
        return self.name


_KEY_RE = re.compile(
    r"^\s*([A-Ga-g])\s*(#|♯|b|♭|-?\s*sharp|-?\s*flat)?\s*"
    r"(major|maj|minor|min|m|M|dur|moll)?\s*$"
)


def parse_key(text: str) -> Key:
    """Parse "D minor", "Dm", "B flat major", "Bb", "F#m", "c" (lowercase alone = minor)."""
    match = _KEY_RE.match(text or "")
    if not match:
        raise InvalidRequest(f'I don\'t know the key {text!r}. Write it like "D minor", "B flat major" or "F#m".')
    letter, accidental, mode_word = match.groups()
    pc = PITCH_CLASS[letter.upper()]
    if accidental:
        acc = accidental.replace("-", "").replace(" ", "")
        pc += 1 if acc in ("#", "♯", "sharp") else -1
    if mode_word in ("minor", "min", "m", "moll"):
        mode = "minor"
    elif mode_word in ("major", "maj", "M", "dur"):
        mode = "major"
    else:
        mode = "minor" if letter.islower() else "major"
    return Key(pc % 12, mode)


@dataclass(frozen=True)
class Meter:
    """A time signature. Counted beats: 3/4 has 3 quarter-note beats; the compound meters
    6/8 and 12/8 are counted in dotted quarters (2 and 4 beats of 3 eighths each)."""

    numerator: int
    denominator: int

    @property
    def name(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @property
    def is_compound(self) -> bool:
        return self.denominator == 8 and self.numerator % 3 == 0 and self.numerator > 3

    @property
    def beats_per_bar(self) -> int:
        return self.numerator // 3 if self.is_compound else self.numerator

    @property
    def subdivisions(self) -> int:
        """Equal parts of one counted beat: 3 in compound meters, else 2."""
        return 3 if self.is_compound else 2

    @property
    def quarters_per_beat(self) -> float:
        """Length of one counted beat in quarter notes (MIDI tempo is in quarters)."""
        return 1.5 if self.is_compound else 4.0 / self.denominator

    def __str__(self) -> str:
        return self.name


SUPPORTED_METERS = ("2/4", "3/4", "4/4", "5/4", "6/8", "12/8")


def parse_meter(text: str) -> Meter:
    cleaned = (text or "").strip().replace(" ", "")
    if cleaned not in SUPPORTED_METERS:
        raise InvalidRequest(f"I can't write music in {text!r} time. Choose one of: {', '.join(SUPPORTED_METERS)}.")
    num, den = cleaned.split("/")
    return Meter(int(num), int(den))


def chord_pitch_classes(root_pc: int, quality: str, seventh: bool = False) -> list[int]:
    pcs = [(root_pc + i) % 12 for i in CHORD_INTERVALS[quality]]
    if seventh:
        pcs.append((root_pc + SEVENTHS[quality]) % 12)
    return pcs


def nearest_pitch(pc: int, target: float, low: int = 0, high: int = 127) -> int:
    """The MIDI pitch of pitch class `pc` closest to `target`, kept inside [low, high]."""
    base = int(round(target)) - ((int(round(target)) - pc) % 12)
    candidates = [p for p in (base - 12, base, base + 12, base + 24) if low <= p <= high]
    if not candidates:
        return min(max(base, low), high)
    return min(candidates, key=lambda p: abs(p - target))
