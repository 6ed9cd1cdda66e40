"""Humanised playing: the finished score played with its style's feel.

The composer writes every note on the grid at its pattern's velocity. `humanise` then plays the
score as the style's players would (the feel: assets/production/feel.toml, per family with
per-style overrides):

- timing: each part pushed or laid back at positions in the bar (a lazy snare on 2 and 4, hats a
  touch ahead), plus a small seeded random spread in ms (drums that hit together move together;
  a beat with the kick on it stays on the grid); swing is the composer's own (`_swing`);
- velocity: accents on strong beats and a small random variation;
- strums: a guitar's chords are strummed, down (low to high) on beats, up (high to low) off them;
- pedalling: a piano part gets legato sustain pedal (CC64) changed with the harmony;
- legato: a melody on a legato instrument overlaps a note it leads into stepwise (staccato notes,
  held short by the melody writer, stay short).

Machine styles (a feel with `human = false`) stay on the grid; only their hats vary a little in
velocity. Whatever the feel, the final chord and a video's cuts stay exact, downbeats move at most
`downbeat_ms` (and never early, so no note leaves its bar), and no note starts before beat 0 or
after the end.
"""

from __future__ import annotations

import math
import random
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from itertools import pairwise
from pathlib import Path

from ...music import Meter
from ...paths import ASSETS
from ...timeline import time_beat
from ...tokens import NoteEvent, Part, ScoreTokens
from ...vocabulary import load_vocabulary

FEEL_PATH = ASSETS / "production" / "feel.toml"
GUITARS = range(24, 32)  # General MIDI guitars
PIANOS = range(0, 8)  # General MIDI pianos (acoustic, electric, harpsichord, clavinet)
KICKS = frozenset({35, 36})
DRUM_TARGETS = {  # GM drum note -> the push target it answers to; other drums are "percussion"
    **dict.fromkeys((37, 38, 39, 40), "snare"),
    **dict.fromkeys((42, 44, 46, 51, 53, 59), "hats"),  # hi-hats and ride: the time-keeping cymbals
    **dict.fromkeys((41, 43, 45, 47, 48, 50), "toms"),
    **dict.fromkeys((49, 52, 55, 57), "cymbals"),
}
HATS = frozenset({42, 44, 46})
DRUM_PUSH_TARGETS = ("snare", "hats", "toms", "cymbals", "percussion")
ROLE_PUSH_TARGETS = ("bass", "chords", "pad", "melody", "ostinato", "timpani", "vocal")
POSITIONS = ("all", "downbeat", "backbeat", "beat", "offbeat")
EPS = 1e-6
STRUM_CHAIN = 0.04  # beats between neighbouring strings of a strum the composer spread (parts.py: 0.03)
MIN_DURATION = 0.02  # beats


class FeelError(ValueError):
    """feel.toml disagrees with itself or with the vocabulary (a developer's mistake)."""


@dataclass(frozen=True)
class Feel:
    """How a style is played. Times in ms, velocities in MIDI steps; see feel.toml's header."""

    name: str
    human: bool = True
    spread_ms: float = 0.0
    velocity: float = 0.0
    accent: float = 0.0
    hat_velocity: float = 0.0
    strum: bool = False
    pedal: bool = False
    legato: float = 0.0  # beats of overlap
    downbeat_ms: float = 3.0
    strum_ms: tuple[float, float] = (8.0, 25.0)
    pedal_down_ms: float = 60.0
    pedal_up_ms: float = 40.0
    legato_hold: float = 0.85
    legato_programs: tuple[tuple[int, int], ...] = ()
    push: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def push_ms(self, target: str, position: str, beat_number: int | None) -> float:
        """ms `target` plays late (+) or early (-) at a position: beat<N>, then the position, then all."""
        table = self.push.get(target, {})
        for key in (f"beat{beat_number}" if beat_number else None, position, "all"):
            if key in table:
                return table[key]
        return 0.0

    def is_legato(self, program: int) -> bool:
        return self.legato > 0 and any(low <= program <= high for low, high in self.legato_programs)


# ---- the feel data ---------------------------------------------------------------------------


@cache
def _feel_table(path: Path = FEEL_PATH) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def _merged(*tables: Mapping) -> dict:
    """Later tables win; `push` merges per target and position."""
    out: dict = {}
    for table in tables:
        for key, value in table.items():
            if key == "push":
                push = out.setdefault("push", {})
                for target, positions in value.items():
                    push[target] = {**push.get(target, {}), **positions}
            else:
                out[key] = value
    return out


def _build(name: str, entry: dict) -> Feel:
    known = {f.name for f in fields(Feel)} - {"name"}
    unknown = set(entry) - known
    if unknown:
        raise FeelError(f"feel {name!r}: unknown fields {sorted(unknown)}")
    for target, positions in entry.get("push", {}).items():
        if target not in DRUM_PUSH_TARGETS + ROLE_PUSH_TARGETS:
            raise FeelError(f"feel {name!r}: unknown push target {target!r} (the kick stays on the grid)")
        for position in positions:
            if position not in POSITIONS and not (position.startswith("beat") and position[4:].isdigit()):
                raise FeelError(f"feel {name!r}: unknown position {position!r} for {target!r}")
    values = dict(entry)
    if "strum_ms" in values:
        values["strum_ms"] = tuple(float(x) for x in values["strum_ms"])
    if "legato_programs" in values:
        values["legato_programs"] = tuple((int(lo), int(hi)) for lo, hi in values["legato_programs"])
    values["push"] = {t: {p: float(ms) for p, ms in ps.items()} for t, ps in values.get("push", {}).items()}
    return Feel(name=name, **values)


@cache
def family_feel(family: str) -> Feel:
    """The feel a style family plays with by default."""
    table = _feel_table()
    if family not in table.get("families", {}):
        raise FeelError(f"feel.toml has no [families.{family}]")
    return _build(family, _merged(table["defaults"], table["families"][family]))


@cache
def feel_for(style: str) -> Feel:
    """The feel of a style: the defaults, its family's table, its own overrides."""
    table = _feel_table()
    styles = load_vocabulary()["styles"]
    if style not in styles:
        raise FeelError(f"unknown style {style!r}")
    family = styles[style]["family"]
    if family not in table.get("families", {}):
        raise FeelError(f"feel.toml has no [families.{family}] (style {style!r})")
    own = table.get("styles", {}).get(style, {})
    return _build(style, _merged(table["defaults"], table["families"][family], own))


# ---- where a beat falls ----------------------------------------------------------------------


class _Grid:
    """Bar positions, exact beats and ms <-> beats for one score."""

    def __init__(self, score: ScoreTokens, pickup_beats: float, fixed_beats: Iterable[float]) -> None:
        self.score = score
        num, den = (int(x) for x in score.meter.split("/"))
        self.bpb = Meter(num, den).beats_per_bar
        self.pickup = pickup_beats
        self.fixed = sorted(float(b) for b in fixed_beats)
        self.end_beat = self.beat_at(score.end_s)

    def beat_at(self, time_s: float) -> float:
        s = self.score
        return time_beat(time_s, s.tempo_bpm, s.start_s, s.tempo_pins)

    def shifted(self, beat: float, ms: float) -> float:
        """The beat `ms` milliseconds after `beat` (at the local tempo, tempo pins included)."""
        return beat if ms == 0 else self.beat_at(self.score.beat_to_s(beat) + ms / 1000.0)

    def is_fixed(self, beat: float) -> bool:
        return any(abs(beat - b) < EPS for b in self.fixed)

    def bar_of(self, beat: float) -> int:
        return math.floor((beat + self.pickup) / self.bpb + EPS)

    def position(self, beat: float) -> tuple[str, int | None]:
        """("downbeat" | "backbeat" | "beat" | "offbeat", the counted beat 1.. of the bar or None)."""
        in_bar = beat + self.pickup - self.bar_of(beat) * self.bpb
        k = round(in_bar)
        if abs(in_bar - k) > 1e-4:
            return "offbeat", None
        k %= self.bpb
        if k == 0:
            return "downbeat", 1
        backbeat = k in (1, 2) if self.bpb == 3 else k % 2 == 1
        return ("backbeat" if backbeat else "beat"), k + 1


# ---- playing it --------------------------------------------------------------------------------


def humanise(
    score: ScoreTokens,
    feel: Feel,
    rng: random.Random,
    pickup_beats: float = 0.0,
    fixed_beats: Iterable[float] = (),
) -> None:
    """Play `score` (in place) with `feel`. `pickup_beats`: how far into its bar beat 0 falls (the
    plan's pickup offset); `fixed_beats`: beats whose notes must stay exact (the final chord, a
    video's cuts). Deterministic for the state of `rng`."""
    grid = _Grid(score, pickup_beats, fixed_beats)
    if not feel.human:
        for part in score.parts:
            if part.is_drum and feel.hat_velocity > 0:
                for note in part.notes:
                    if note.pitch in HATS:
                        note.velocity = _clip_velocity(note.velocity + rng.uniform(-1, 1) * feel.hat_velocity)
        return
    harmony = next((p for p in score.parts if p.name == "chords"), None)
    for part in score.parts:  # from the written notes, before any moves
        if feel.pedal and not part.is_drum and part.program in PIANOS:
            part.pedal = _pedal_spans(part, harmony or part, grid, feel)
        if part.name == "melody" and feel.is_legato(part.program):
            _legato(part, feel.legato, feel.legato_hold)
    for part in score.parts:
        starts = [n.start_beat for n in part.notes] if part.name == "vocal" else None
        if part.is_drum:
            _play_drums(part, feel, grid, rng)
        else:
            strum = feel.strum and part.name == "chords" and part.program in GUITARS
            _play_pitched(part, feel, grid, rng, strum, score.tempo_bpm)
        if starts is not None:  # the sung syllables follow their notes
            moved = {round(a, 6): n.start_beat for a, n in zip(starts, part.notes)}
            score.lyrics = [(moved.get(round(b, 6), b), text) for b, text in score.lyrics]
        _untangle(part)


def _noise(rng: random.Random, spread: float) -> float:
    """Seeded noise, roughly normal, never beyond `spread` either way (ms, or velocity steps)."""
    return max(-spread, min(spread, rng.gauss(0.0, spread / 2))) if spread > 0 else 0.0


def _clip_velocity(velocity: float) -> int:
    return int(min(127, max(1, round(velocity))))


def _accented(velocity: float, position: str, feel: Feel, rng: random.Random) -> int:
    gain = {"downbeat": 1.0, "backbeat": 0.5, "beat": 0.5}.get(position, -0.5) * feel.accent
    return _clip_velocity(velocity * (1 + gain) + _noise(rng, feel.velocity))


def _offset_ms(position: str, feel: Feel, rng: random.Random, push: float) -> float:
    """The timing offset of an onset: a random spread plus the push, downbeats held close (never early)."""
    if position == "downbeat":
        return max(0.0, min(feel.downbeat_ms, abs(_noise(rng, feel.downbeat_ms)) + push))
    return _noise(rng, feel.spread_ms) + push


def _move(note: NoteEvent, grid: _Grid, ms: float, keep_end: float | None = None) -> None:
    """Shift a note by `ms` (within 0 .. the end); `keep_end`: the beat it should still end at."""
    start = min(max(0.0, grid.shifted(note.start_beat, ms)), grid.end_beat - MIN_DURATION)
    end = keep_end if keep_end is not None else start + note.duration_beats
    if note.start_beat + note.duration_beats <= grid.end_beat + EPS:
        end = min(end, grid.end_beat)
    note.start_beat, note.duration_beats = start, max(MIN_DURATION, end - start)


def _play_drums(part: Part, feel: Feel, grid: _Grid, rng: random.Random) -> None:
    """Drums hitting together move together by one random offset (none where the kick plays), then
    each drum by its push; the kick stays on the grid."""
    onsets: dict[float, list[NoteEvent]] = defaultdict(list)
    for note in part.notes:
        onsets[round(note.start_beat, 6)].append(note)
    for beat in sorted(onsets):
        hits = onsets[beat]
        if grid.is_fixed(beat):
            continue
        position, number = grid.position(beat)
        together = 0.0 if any(n.pitch in KICKS for n in hits) else _offset_ms(position, feel, rng, 0.0)
        for note in hits:
            note.velocity = _accented(note.velocity, position, feel, rng)
            if note.pitch in KICKS:
                continue
            push = feel.push_ms(DRUM_TARGETS.get(note.pitch, "percussion"), position, number)
            ms = together + push
            if position == "downbeat":
                ms = max(0.0, min(feel.downbeat_ms, ms))
            _move(note, grid, ms)


def _groups(part: Part, strum: bool) -> list[list[NoteEvent]]:
    """Notes that start together (for a strummed part: also those the composer already spread a
    strum over), each group in onset order."""
    notes = sorted(part.notes, key=lambda n: (n.start_beat, n.pitch))
    groups: list[list[NoteEvent]] = []
    window = STRUM_CHAIN if strum else EPS
    for note in notes:
        if groups and note.start_beat - groups[-1][-1].start_beat < window and len(groups[-1]) < 8:
            groups[-1].append(note)
        else:
            groups.append([note])
    return groups


def _play_pitched(part: Part, feel: Feel, grid: _Grid, rng: random.Random, strum: bool, tempo_bpm: float) -> None:
    for group in _groups(part, strum):
        anchor = group[0].start_beat
        if grid.is_fixed(anchor):
            continue
        position, number = grid.position(anchor)
        ms = _offset_ms(position, feel, rng, feel.push_ms(part.name, position, number))
        if strum and len(group) > 1:
            _strum(group, feel, grid, rng, ms, position, tempo_bpm)
            continue
        for note in group:
            note.velocity = _accented(note.velocity, position, feel, rng)
            _move(note, grid, ms)


def _strum(
    group: list[NoteEvent], feel: Feel, grid: _Grid, rng: random.Random, ms: float, position: str, tempo_bpm: float
) -> None:
    """Strum a chord from its first onset: down (low to high) on beats, up (high to low) off them,
    or the way the composer already spread it; faster when loud or at a fast tempo. Each string
    still ends where it did."""
    spread = group[-1].start_beat - group[0].start_beat > EPS
    down = group[0].pitch <= group[-1].pitch if spread else position != "offbeat"
    ordered = sorted(group, key=lambda n: n.pitch, reverse=not down)
    anchor = group[0].start_beat
    loud = min(1.0, max(0.0, (sum(n.velocity for n in group) / len(group) - 50) / 60))
    fast = min(1.0, max(0.0, (tempo_bpm - 70) / 90))
    low, high = feel.strum_ms
    per_string = high - (high - low) * (loud + fast) / 2
    to_s = grid.score.beat_to_s
    shortest_s = min(to_s(n.start_beat + n.duration_beats) - to_s(anchor) for n in group)
    per_string = min(per_string, 1000 * 0.5 * shortest_s / (len(group) - 1))  # the strum fits the chord
    velocity_gain = 1.0 if down else 0.92  # an up strum catches the strings lighter
    for i, note in enumerate(ordered):
        end = grid.shifted(note.start_beat + note.duration_beats, ms)
        note.start_beat = anchor
        note.velocity = _accented(note.velocity * velocity_gain, position, feel, rng)
        _move(note, grid, ms + i * per_string, keep_end=end)


def _legato(part: Part, overlap: float, hold: float) -> None:
    """A note held (nearly) up to the next, which is a step away, overlaps it by `overlap` beats."""
    notes = sorted(part.notes, key=lambda n: n.start_beat)
    for a, b in pairwise(notes):
        gap = b.start_beat - a.start_beat
        if gap > EPS and 1 <= abs(b.pitch - a.pitch) <= 2 and hold * gap - EPS <= a.duration_beats < gap + EPS:
            a.duration_beats = gap + min(overlap, 0.5 * b.duration_beats)


def _pedal_spans(part: Part, harmony: Part, grid: _Grid, feel: Feel) -> list[tuple[float, float]]:
    """Legato pedalling: down just after each chord change (a bar whose harmony differs from the
    bar before), up just before the next; a run of the same harmony is held under one pedal."""
    bars: dict[int, list[NoteEvent]] = defaultdict(list)
    for note in harmony.notes:
        bars[grid.bar_of(note.start_beat)].append(note)
    runs: list[list[int]] = []
    for bar in sorted(bars):
        pcs = frozenset(n.pitch % 12 for n in bars[bar])
        if runs and runs[-1][-1] == bar - 1 and frozenset(n.pitch % 12 for n in bars[runs[-1][-1]]) == pcs:
            runs[-1].append(bar)
        else:
            runs.append([bar])
    spans = []
    for i, run in enumerate(runs):
        change = min(n.start_beat for n in bars[run[0]])
        down = grid.shifted(change, feel.pedal_down_ms)
        if i + 1 < len(runs) and runs[i + 1][0] == run[-1] + 1:
            up = grid.shifted(min(n.start_beat for n in bars[runs[i + 1][0]]), -feel.pedal_up_ms)
        else:  # silence (or the end) follows: lift as the chord's notes end
            up = min(max(n.start_beat + n.duration_beats for bar in run for n in bars[bar]), grid.end_beat)
        if up - down > 0.05 and part.notes:
            spans.append((down, up))
    return spans


def _untangle(part: Part) -> None:
    """No note runs into a later note of the same pitch (in MIDI the second would be cut off)."""
    by_pitch: dict[int, list[NoteEvent]] = defaultdict(list)
    for note in part.notes:
        by_pitch[note.pitch].append(note)
    for notes in by_pitch.values():
        notes.sort(key=lambda n: n.start_beat)
        for a, b in pairwise(notes):
            if b.start_beat - a.start_beat > EPS and a.start_beat + a.duration_beats > b.start_beat:
                a.duration_beats = b.start_beat - a.start_beat
