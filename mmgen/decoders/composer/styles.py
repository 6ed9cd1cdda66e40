"""How the composer plays a style: read from the style's entry in assets/vocabulary/styles.toml
(groove, bass and accompaniment patterns, harmony habits, melody scale and character), then
adjusted by the plan (a colouring style's patterns, the moods' register and density)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...vocabulary import load_vocabulary


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
    progressions: dict[str, tuple[tuple[str, ...], ...]] | None = None  # mode -> roman-numeral loops
    cadence: str = "V"  # the chord before the final tonic
    scale: dict[str, str] | None = None  # mode -> melody scale name (music.MELODY_SCALES)
    drum_level_cap: int = 2  # the groove's busiest layer that may play


def from_entry(entry: dict) -> ComposerStyle:
    melody = entry["melody"]
    scale = entry.get("scale", "diatonic")
    progressions = entry.get("progressions")
    return ComposerStyle(
        groove=entry.get("groove"),
        bass=entry["bass"],
        comp=entry["comp"],
        sevenths=entry["sevenths"],
        loop=entry["harmony"] == "loop",
        melody_density=melody["density"],
        melody_register=melody["register"],
        comp_register=entry["comp_register"],
        staccato=melody.get("staccato", 0.9),
        swing_unit=entry.get("swing_unit", 0.5),
        progressions={m: tuple(tuple(p) for p in ps) for m, ps in progressions.items()}
        if entry["harmony"] == "progressions"
        else None,
        cadence=entry.get("cadence", "V"),
        scale=scale if isinstance(scale, dict) else {"major": scale, "minor": scale},
    )


STYLES: dict[str, ComposerStyle] = {name: from_entry(e) for name, e in load_vocabulary()["styles"].items()}


def composer_style(plan) -> ComposerStyle:
    """The style as this plan plays it: `plan.arrangement` patterns, the moods' register and
    density (a MusicPlan; typed loosely to keep this module free of the plan package)."""
    style = STYLES[plan.style]
    overrides = {k: v for k, v in getattr(plan, "arrangement", {}).items() if k in ("groove", "bass", "comp")}
    return replace(
        style,
        **overrides,
        melody_register=style.melody_register + getattr(plan, "register_shift", 0),
        melody_density=min(1.0, max(0.05, style.melody_density + getattr(plan, "density_shift", 0.0))),
        drum_level_cap=getattr(plan, "drum_level_cap", 2),
    )
