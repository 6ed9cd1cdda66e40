"""What the live session plays, a bar at a time: phrases of a few bars written by a score engine
(the composer or a learned family) from the controls, cut into bars of note events, and the
transition bars that make a change of key musical (a pivot chord, then the new key's dominant)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import components, registry
from ..errors import InvalidRequest
from ..gamekit.layers import ROLE_TIER
from ..music import Key, chord_pitch_classes, nearest_pitch
from ..plan.data import MusicPlan
from ..request import DURATION_RANGE_S, GenerationRequest, validate
from ..tokens import ScoreTokens
from .synth import Voice

PHRASE_MIN_S = DURATION_RANGE_S[0]  # a phrase is 4 bars, or 8 or 12 where 4 would be shorter than this
EARLY_BEATS = 0.1  # a note this far ahead of a downbeat belongs to that bar


@dataclass(frozen=True)
class LiveControls:
    """What the player asks for. `style`: a style or mood in words ("chiptune", "dark ambient
    for a cave"); `tempo_bpm` / `key` None: the style's own choice."""

    style: str = "chiptune level music"
    energy: float = 0.6  # 0 calm (the harmony alone) .. 1 intense (the whole band, loud and busy)
    tempo_bpm: float | None = None
    key: str | None = None


@dataclass
class BarNotes:
    """One bar to play: note events (role, voice, pitch, start beat in the bar, beats, velocity),
    its counted beats, and its tempo at the first and the last beat (a ramp when they differ)."""

    beats: int
    tempo_start: float
    tempo_end: float
    key: Key
    style: str
    energy: float
    notes: list[tuple[str, Voice, int, float, float, int]] = field(default_factory=list)
    transition: str = ""  # "" | "pivot" (into a new key) | "ramp" (to a new tempo)


def tier_limit(energy: float) -> int:
    """The highest layer (gamekit.layers.ROLE_TIER) the energy lets play: 0 calm, 1, 2 all."""
    return 0 if energy < 0.25 else (1 if energy < 0.5 else 2)


class PhraseWriter:
    """Writes phrases with one score engine; `phrase(controls, tempo, key, index)` -> its plan
    and its bars."""

    def __init__(self, engine: str = "composer", seed: int = 0) -> None:
        from ..pipeline import load_descriptors

        components.register_builtins()
        entry = registry.entry("decoder", engine)
        if entry.tokens != "score":
            raise InvalidRequest(f"Live music needs a score engine, such as the composer; '{engine}' makes audio.")
        status = entry.check()
        if not status.ok:
            raise InvalidRequest(f"The '{engine}' engine is not available here: {status.reason}")
        self.engine = registry.get("decoder", engine)
        self.seed = seed
        self.descriptors = load_descriptors()
        self._encoded: dict[str, tuple] = {}

    def plan(self, controls: LiveControls, tempo_bpm: float | None, key: str | None, index: int) -> MusicPlan:
        """A loop plan of whole bars (at least PHRASE_MIN_S) at the controls' energy throughout."""
        from ..pipeline import encode_prompt
        from ..plan.build import build_plan

        if controls.style not in self._encoded:
            self._encoded = {controls.style: encode_prompt(controls.style, self.descriptors)}
        features, cues = self._encoded[controls.style]
        seed = self.seed + index

        def built(duration_s: float, tempo: float | None) -> MusicPlan:
            request = validate(
                GenerationRequest(
                    prompt=controls.style, duration_s=duration_s, tempo_bpm=tempo, key=key, seed=seed, loop=True
                )
            )
            return build_plan(request, features, cues, self.descriptors, seed, None)

        tempo = tempo_bpm or built(8.0, None).tempo_bpm
        first = built(8.0, tempo)
        bars = 4
        while bars * first.bar_s < PHRASE_MIN_S:
            bars += 4
        plan = built(bars * first.bar_s, tempo)
        plan.energy = controls.energy
        for section in plan.sections:
            section.energy = controls.energy
        return plan

    def bars(self, plan: MusicPlan, controls: LiveControls, index: int) -> list[BarNotes]:
        score = self.engine.decode(plan, self.seed + index)
        return split_bars(score, plan, controls)


def split_bars(score: ScoreTokens, plan: MusicPlan, controls: LiveControls) -> list[BarNotes]:
    """The score as bars of note events, leaving out the parts above the energy's layer."""
    limit = tier_limit(controls.energy)
    beats = plan.meter.beats_per_bar
    bars = [
        BarNotes(beats, plan.tempo_bpm, plan.tempo_bpm, plan.key, plan.style_label, controls.energy)
        for _ in range(plan.total_bars)
    ]
    for part in score.parts:
        if ROLE_TIER.get(part.name, 1) > limit:
            continue
        voice = Voice(part.program, part.is_drum, part.volume, part.pan, part.reverb)
        for note in part.notes:
            bar = int((note.start_beat + EARLY_BEATS) // beats)
            if 0 <= bar < len(bars):
                start = max(0.0, note.start_beat - bar * beats)
                bars[bar].notes.append((part.name, voice, note.pitch, start, note.duration_beats, note.velocity))
    return bars


def diatonic_triads(key: Key) -> list[tuple[int, str]]:
    """(root pitch class, quality) of the key's major and minor triads (minor: with the raised V)."""
    if key.mode == "major":
        steps = ((0, "major"), (2, "minor"), (4, "minor"), (5, "major"), (7, "major"), (9, "minor"))
    else:
        steps = ((0, "minor"), (3, "major"), (5, "minor"), (7, "major"), (8, "major"), (10, "major"))
    return [((key.tonic_pc + step) % 12, quality) for step, quality in steps]


def pivot_bar(old: Key, new_bar: BarNotes) -> BarNotes:
    """The bar into `new_bar`'s key: a chord both keys share (the new key's ii, IV or vi where
    there is one) for the first half, the new key's dominant for the second, with the new
    phrase's own drums and instruments; its tempo is the new bar's."""
    new = new_bar.key
    shared = [t for t in diatonic_triads(new) if t in diatonic_triads(old) and t[0] != new.tonic_pc]
    preferred = [t for t in shared if (t[0] - new.tonic_pc) % 12 in (2, 5, 9, 3, 8)]
    dominant = ((new.tonic_pc + 7) % 12, "major")
    pivot = (preferred or shared or [dominant])[0]
    half = new_bar.beats / 2
    voices = {role: voice for role, voice, *_ in new_bar.notes}
    harmony = next((r for r in ("chords", "pad", "ostinato", "melody") if r in voices), None)
    notes = [n for n in new_bar.notes if n[1].is_drum]
    for start, (root, quality) in ((0.0, pivot), (half, dominant)):
        if harmony:
            for pc in chord_pitch_classes(root, quality):
                notes.append((harmony, voices[harmony], nearest_pitch(pc, 62), start, half, 88))
        if "bass" in voices:
            notes.append(("bass", voices["bass"], nearest_pitch(root, 40), start, half, 96))
    return replace(new_bar, notes=notes, transition="pivot")
