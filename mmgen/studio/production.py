"""What the studio plays and how it mixes: the data of assets/production/ (synth voices, drum
machines, mixes) and, for one score, the choice per part (`Production`).

A part plays a studio instrument when its style names one for the part's role and the part still
plays the style's own program for it (a description that asked for a piano keeps its piano), or
when its General MIDI program is itself a synth sound; otherwise its SoundFont instrument.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache

from ..errors import MmgenError
from ..paths import ASSETS
from ..tokens import Part
from ..vocabulary import load_vocabulary

PRODUCTION_DIR = ASSETS / "production"
EQ_TYPES = ("highpass", "lowpass", "lowshelf", "highshelf", "peak")


class ProductionDataError(MmgenError):
    """assets/production/ contradicts itself or the styles."""


@dataclass(frozen=True)
class Voicing:
    """How one part sounds: `kind` "synth" (voice: a [voices] entry), "drum machine" (a [kits]
    entry) or "soundfont" (the part's General MIDI program)."""

    kind: str
    name: str
    label: str
    settings: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Production:
    """The studio's reading of one score: a voicing per part (by role) and the mix.
    `ensemble_lead`: the part whose mix settings the shared "ensemble" stem takes (render.py)."""

    voicings: dict[str, Voicing]
    mix_name: str
    mix: dict
    ensemble_lead: str = "default"

    def part_mix(self, role: str) -> dict:
        """The mix settings of a part (the "ensemble" stem: its lead part's, its first)."""
        parts = self.mix["parts"]
        if role == "ensemble":
            role = self.ensemble_lead
        return parts.get(role, parts["default"])


@cache
def load_production() -> dict:
    """{"voices", "kits", "programs", "mixes", "families"}, checked against the styles."""
    with open(PRODUCTION_DIR / "synths.toml", "rb") as f:
        synths = tomllib.load(f)
    with open(PRODUCTION_DIR / "mixes.toml", "rb") as f:
        mixes = tomllib.load(f)
    families = mixes.pop("families")
    data = {
        "voices": synths["voices"],
        "kits": synths["kits"],
        "programs": {int(k): v for k, v in synths["programs"].items()},
        "mixes": mixes,
        "families": families,
    }
    _check(data)
    return data


def _check(data: dict) -> None:
    vocabulary = load_vocabulary()
    for program, voice in data["programs"].items():
        if voice not in data["voices"]:
            raise ProductionDataError(f"program {program} plays an unknown voice {voice!r}")
    for family in vocabulary["families"]:
        if data["families"].get(family) not in data["mixes"]:
            raise ProductionDataError(f"family {family!r} has no mix")
    for name, mix in data["mixes"].items():
        if "default" not in mix.get("parts", {}):
            raise ProductionDataError(f"mix {name!r} has no parts.default")
        for role, settings in mix["parts"].items():
            for eq in settings.get("eq", []):
                if eq[0] not in EQ_TYPES:
                    raise ProductionDataError(f"mix {name!r}, {role}: unknown filter {eq[0]!r}")
    for name, style in vocabulary["styles"].items():
        if style.get("mix", data["families"][style["family"]]) not in data["mixes"]:
            raise ProductionDataError(f"style {name!r}: unknown mix {style.get('mix')!r}")
        for role, instrument in style.get("sound", {}).items():
            table = data["kits"] if role == "drums" else data["voices"]
            if instrument not in table:
                raise ProductionDataError(f"style {name!r}: {role} plays an unknown {instrument!r}")
            if role not in style["instruments"]:
                raise ProductionDataError(f"style {name!r}: sound for {role}, which the style does not play")


def soundfont_label(part: Part) -> str:
    if part.is_drum:
        return "SoundFont drum kit"
    import pretty_midi

    return f"SoundFont {pretty_midi.program_to_instrument_name(part.program).lower()}"


def voicing_of(part: Part, style: str) -> Voicing:
    """The instrument that plays `part` in `style` (see the module docstring)."""
    data, entry = load_production(), load_vocabulary()["styles"].get(style, {})
    named = entry.get("sound", {}).get(part.name)
    if named and entry["instruments"].get(part.name) == part.program:
        if part.is_drum:
            kit = data["kits"][named]
            return Voicing("drum machine", named, kit["label"], kit)
        voice = data["voices"][named]
        return Voicing("synth", named, voice["label"], voice)
    if not part.is_drum and part.program in data["programs"]:
        name = data["programs"][part.program]
        voice = data["voices"][name]
        return Voicing("synth", name, voice["label"], voice)
    return Voicing("soundfont", str(part.program), soundfont_label(part))


def production_of(parts: list[Part], style: str) -> Production:
    data, entry = load_production(), load_vocabulary()["styles"].get(style)
    mix_name = entry.get("mix", data["families"][entry["family"]]) if entry else "pop"
    return Production({p.name: voicing_of(p, style) for p in parts}, mix_name, data["mixes"][mix_name])
