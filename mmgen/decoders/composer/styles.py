"""How the composer plays each style: groove, bass line, accompaniment, melody character.

The plan-level facts of a style (tempo range, meters, instruments) live in assets/descriptors.json;
this table holds only what the composer does with them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ComposerStyle:
    groove: str | None  # key of grooves.GROOVES, None = no drum kit
    bass: str  # bass-line pattern (parts.BASS_PATTERNS)
    comp: str  # accompaniment pattern (parts.COMP_PATTERNS)
    sevenths: bool  # colour chords with sevenths
    loop: bool  # loop-based harmony: one short progression repeated through a section
    melody_density: float  # 0..1, notes per beat of the melody
    melody_register: int  # centre MIDI pitch of the melody
    comp_register: int  # centre MIDI pitch of the accompaniment voicing
    staccato: float = 0.9  # fraction of each melody note actually held
    swing_unit: float = 0.5  # swung note value in beats (0.5 = eighths, 0.25 = sixteenths)


STYLES: dict[str, ComposerStyle] = {
    "lofi": ComposerStyle("lofi", "lofi", "rhodes", True, True, 0.45, 74, 60, 0.8, 0.25),
    "pop": ComposerStyle("pop", "pulse8", "block_pulse", False, True, 0.55, 74, 62),
    "rock": ComposerStyle("rock", "pulse8", "power", False, True, 0.5, 72, 52, 0.85),
    "house": ComposerStyle("house", "offbeat", "stabs", True, True, 0.5, 76, 64, 0.6),
    "dnb": ComposerStyle("dnb", "sub", "pad_long", True, True, 0.3, 76, 62, 0.9, 0.25),
    "hiphop": ComposerStyle("hiphop", "hiphop", "block_sparse", True, True, 0.35, 74, 62, 0.7, 0.25),
    "waltz": ComposerStyle(None, "waltz", "oompah", False, False, 0.45, 76, 64, 0.95),
    "trailer": ComposerStyle("trailer", "ostinato", "pad_long", False, False, 0.25, 67, 60, 1.0),
    "piano": ComposerStyle(None, "none", "piano_arpeggio", False, False, 0.45, 72, 52, 0.95),
    "ambient": ComposerStyle(None, "drone", "harp_arpeggio", True, False, 0.15, 79, 60, 1.0),
    "jazz": ComposerStyle("jazz", "walking", "jazz_comp", True, False, 0.6, 70, 60, 0.85),
    "folk": ComposerStyle("folk", "root_fifth", "strum", False, False, 0.5, 74, 57, 0.9),
    "funk": ComposerStyle("funk", "funk", "funk_chop", True, True, 0.5, 72, 64, 0.5, 0.25),
    "bossa": ComposerStyle("bossa", "bossa", "bossa", True, False, 0.45, 74, 60, 0.9),
    "chiptune": ComposerStyle("chiptune", "octave8", "chip_arpeggio", False, True, 0.65, 79, 67, 0.7),
    "corporate": ComposerStyle("corporate", "pulse8", "piano_eighths", False, True, 0.45, 79, 64, 0.9),
}
