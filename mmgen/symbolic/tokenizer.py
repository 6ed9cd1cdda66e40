"""Lead-sheet tokens for the learned sequence decoders: miditok REMI for the notes, plus
conditioning and harmony tokens of our own.

A sequence reads
    BOS Key_<tonic>_<mode> Style_<style> Tempo_<bucket>
    ( Bar_None TimeSig_<m> Chord_<roman> Dens_<0..3> (Position_<p> Pitch_<m> Duration_<d>)* )*
    EOS
The notes are REMI (miditok) of the melody at 16th-note resolution; `Chord_` is the bar's
harmony as a roman numeral of the key (so the composer can voice it), `Dens_` the bar's note
density (how the plan's energy curve steers the melody). Pitches are absolute: the Key token
says the key, and training transposes each piece to random keys (augmentation).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..music import Key, Meter

TPQ = 12  # ticks per quarter of the scores handed to miditok
PITCH_RANGE = (48, 96)  # melody register C3..C7
METERS = ("2/4", "3/4", "4/4", "3/8", "6/8", "9/8", "12/8")
STYLES = ("folk", "chorale")
TEMPOS = ("slow", "moderate", "fast", "unknown")
CHORDS = ("I", "ii", "iii", "IV", "V", "vi", "vii°", "i", "ii°", "III", "iv", "v", "bVI", "bVII")
# (root semitones above the tonic, quality) of each chord label, and the labels each mode uses.
CHORD_SHAPES = {
    "I": (0, "major"),
    "ii": (2, "minor"),
    "iii": (4, "minor"),
    "IV": (5, "major"),
    "V": (7, "major"),
    "vi": (9, "minor"),
    "vii°": (11, "diminished"),
    "i": (0, "minor"),
    "ii°": (2, "diminished"),
    "III": (3, "major"),
    "iv": (5, "minor"),
    "v": (7, "minor"),
    "bVI": (8, "major"),
    "bVII": (10, "major"),
}
MODE_CHORDS = {
    "major": ("I", "ii", "iii", "IV", "V", "vi", "vii°"),
    "minor": ("i", "ii°", "III", "iv", "v", "V", "bVI", "bVII", "vii°"),
}
DENSITIES = 4


def density_bucket(notes_in_bar: int, beats_per_bar: int) -> int:
    """0..3 from notes per counted beat: <1, <2, <3, 3+."""
    return min(DENSITIES - 1, int(notes_in_bar / max(1, beats_per_bar)))


def tempo_bucket(beats_per_minute: float | None) -> str:
    if beats_per_minute is None:
        return "unknown"
    return "slow" if beats_per_minute < 75 else ("moderate" if beats_per_minute < 115 else "fast")


@dataclass
class Note:
    """A melody note, in quarter notes from the start of its bar."""

    onset_q: float
    duration_q: float
    pitch: int


@dataclass
class Bar:
    chord: str  # roman numeral from CHORDS
    density: int  # 0..3
    notes: list[Note]


class LeadSheetTokenizer:
    """Token ids <-> lead-sheet bars. Deterministic vocabulary (same order every run)."""

    def __init__(self) -> None:
        from miditok import REMI, TokenizerConfig

        config = TokenizerConfig(
            pitch_range=PITCH_RANGE,
            beat_res={(0, 4): 4, (4, 12): 2},
            use_velocities=False,
            use_time_signatures=True,
            use_chords=False,
            use_rests=False,
            use_tempos=False,
            use_programs=False,
            special_tokens=["PAD", "BOS", "EOS"],
            time_signature_range={8: [3, 6, 9, 12], 4: [2, 3, 4]},
        )
        self.remi = REMI(config)
        for token in self.extra_tokens():
            self.remi.add_to_vocab(token)
        self.vocab: dict[str, int] = dict(self.remi.vocab)
        self.names = {i: t for t, i in self.vocab.items()}
        self.pad, self.bos, self.eos = self.vocab["PAD_None"], self.vocab["BOS_None"], self.vocab["EOS_None"]
        self.bar = self.vocab["Bar_None"]

    @staticmethod
    def extra_tokens() -> list[str]:
        return (
            [f"Key_{pc}_{mode}" for mode in ("major", "minor") for pc in range(12)]
            + [f"Style_{s}" for s in STYLES]
            + [f"Tempo_{t}" for t in TEMPOS]
            + [f"Chord_{c}" for c in CHORDS]
            + [f"Dens_{d}" for d in range(DENSITIES)]
        )

    def __len__(self) -> int:
        return len(self.vocab)

    def ids_of(self, prefix: str) -> dict[str, int]:
        """{token name: id} of every token starting with `prefix` (e.g. "Pitch_")."""
        return {t: i for t, i in self.vocab.items() if t.startswith(prefix)}

    @cached_property
    def kinds(self) -> np.ndarray:
        """[V] token kind names ("Pitch", "Position", ...) as an object array, by id."""
        return np.array([self.names[i].split("_")[0] for i in range(len(self))], dtype=object)

    # ---- encoding ------------------------------------------------------------------------------

    def header(self, key: Key, style: str, tempo: str) -> list[int]:
        return [
            self.bos,
            self.vocab[f"Key_{key.tonic_pc}_{key.mode}"],
            self.vocab[f"Style_{style}"],
            self.vocab[f"Tempo_{tempo}"],
        ]

    def bar_header(self, meter: str, chord: str, density: int) -> list[int]:
        return [self.bar, self.vocab[f"TimeSig_{meter}"], self.vocab[f"Chord_{chord}"], self.vocab[f"Dens_{density}"]]

    def encode(self, key: Key, style: str, tempo: str, meter: str, bars: list[Bar]) -> list[int]:
        """The whole sequence. miditok writes the notes (one call for the piece); each bar's
        Chord and Dens tokens go in after its Bar/TimeSig pair."""
        import symusic

        num, den = (int(x) for x in meter.split("/"))
        bar_ticks = round(num * 4 / den * TPQ)
        score = symusic.Score(TPQ)
        score.time_signatures.append(symusic.TimeSignature(0, num, den))
        track = symusic.Track(program=0)
        for index, bar in enumerate(bars):
            for n in bar.notes:
                if PITCH_RANGE[0] <= n.pitch < PITCH_RANGE[1]:
                    track.notes.append(
                        symusic.Note(
                            index * bar_ticks + round(n.onset_q * TPQ), max(1, round(n.duration_q * TPQ)), n.pitch, 90
                        )
                    )
        remi: list[int] = []
        if track.notes:
            score.tracks.append(track)
            sequence = self.remi.encode(score)
            remi = list((sequence[0] if isinstance(sequence, list) else sequence).ids)
        # Split REMI's stream at its Bar tokens: chunk i holds bar i's notes.
        chunks: list[list[int]] = []
        for i in remi:
            if i == self.bar:
                chunks.append([])
            elif chunks and not self.names[i].startswith("TimeSig_"):
                chunks[-1].append(i)
        ids = self.header(key, style, tempo)
        for index, bar in enumerate(bars):
            ids += self.bar_header(meter, bar.chord, bar.density)
            ids += chunks[index] if index < len(chunks) else []
        return ids + [self.eos]

    def transpose(self, ids: list[int], semitones: int) -> list[int] | None:
        """The same sequence in a key `semitones` away; None when a note leaves the range."""
        out = []
        for i in ids:
            kind, _, value = self.names[i].partition("_")
            if kind == "Pitch":
                pitch = int(value) + semitones
                if not PITCH_RANGE[0] <= pitch < PITCH_RANGE[1]:
                    return None
                i = self.vocab[f"Pitch_{pitch}"]
            elif kind == "Key":
                pc, mode = value.split("_")
                i = self.vocab[f"Key_{(int(pc) + semitones) % 12}_{mode}"]
            out.append(i)
        return out

    # ---- decoding ------------------------------------------------------------------------------

    def decode_bars(self, ids: list[int], meter: str) -> list[Bar]:
        """The bars of a generated sequence (header tokens skipped; stops at EOS)."""
        bars: list[Bar] = []
        ticks_per_position = self.ticks_per_position(meter)
        position = pitch = None
        for i in ids:
            name = self.names.get(int(i), "PAD_None")
            kind, _, value = name.partition("_")
            if name == "EOS_None":
                break
            if name == "Bar_None":
                bars.append(Bar("I", 0, []))
                position = pitch = None
            elif not bars:
                continue
            elif kind == "Chord":
                bars[-1].chord = value
            elif kind == "Dens":
                bars[-1].density = int(value)
            elif kind == "Position":
                position = int(value)
            elif kind == "Pitch":
                pitch = int(value)
            elif kind == "Duration" and position is not None and pitch is not None:
                bars[-1].notes.append(
                    Note(position * ticks_per_position / TPQ, self.duration_ticks(value, meter) / TPQ, pitch)
                )
        return bars

    def ticks_per_position(self, meter: str) -> float:
        """REMI positions count quarters of the meter's beat unit (its denominator)."""
        den = int(meter.split("/")[1])
        return TPQ * 4 / den / 4

    def duration_ticks(self, value: str, meter: str) -> float:
        """A REMI duration "beats.ticks.resolution" in our ticks; its beat is the meter's
        denominator (an eighth in 6/8)."""
        beats, ticks, resolution = (int(x) for x in value.split("."))
        return (beats + ticks / resolution) * TPQ * 4 / int(meter.split("/")[1])

    def positions_per_bar(self, meter: str) -> int:
        num, den = (int(x) for x in meter.split("/"))
        return round(num * 4 / den * TPQ / self.ticks_per_position(meter))


def meter_supported(meter: Meter | str) -> bool:
    return str(meter) in METERS
