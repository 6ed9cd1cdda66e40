"""The music's time grid against a duration and, for videos, against the picture's timeline.

- `fit_duration`: tempo, bars and pickup so the piece fills a duration exactly, the final chord
  landing on a downbeat and ringing to the last sample.
- `fit_to_cuts`: tempo and a short lead-in so the main cuts of a video fall on beats (downbeats
  where possible): every tempo in the range is tried, with the lead-in that puts a cut exactly on
  a beat, scored by how close each cut lands to a beat and to a downbeat. Then each cut still
  off the grid is pinned to its nearest downbeat (or beat) by a gentle tempo change of at most
  MAX_STRETCH over the bars before it, as a film composer hits the cuts; the grid keeps these
  pins as a beat -> time map (`time_of`).
- `sections_at_cuts` and `bar_energies_from_curve`: the form changes at the cuts; the energy of
  each bar follows the picture's.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from .music import Meter

MAX_TEMPO_NUDGE = 0.04  # an inferred tempo may move this much to end on a whole bar
CUT_SIGMA_S = 0.025  # a cut this far from a beat counts about 1/e as landing on it
DOWNBEAT_BONUS = 0.5  # a cut on a downbeat counts this much more than on another beat
MAX_LEAD_IN_S = 0.75  # the music may start this long after the picture (a breath, not a gap)
TEMPO_STEP_BPM = 0.02
TEMPO_PRIOR = 0.15  # a gentle pull toward the middle of the style's tempo range
MIN_SECTION_BARS = 2
MAX_STRETCH = 0.08  # a pinned cut may speed up or slow down the music before it by this much
PIN_CANDIDATES = 60  # constant-tempo grids tried with pins
MIN_FINAL_RING_S = 1.0  # a final chord on a late cut still rings at least this long
MAX_LOOP_NUDGE = 0.08  # an inferred tempo may move this much so a loop fills its length with whole bars


@dataclass
class BeatGrid:
    tempo_bpm: float  # the base tempo (after the last pin, and everywhere when there are none)
    total_bars: int
    pickup_offset_beats: float
    ring_s: float
    lead_in_s: float = 0.0
    pins: list[tuple[float, float]] = field(default_factory=list)  # (beat, time s) the tempo bends to

    def time_of(self, beat: float) -> float:
        return beat_time(beat, self.tempo_bpm, self.lead_in_s, self.pins)

    def beat_at(self, time_s: float) -> float:
        return time_beat(time_s, self.tempo_bpm, self.lead_in_s, self.pins)


def time_beat(
    time_s: float, tempo_bpm: float, lead_in_s: float = 0.0, pins: list[tuple[float, float]] | tuple = ()
) -> float:
    """The counted beat (fractional) sounding at `time_s`: the inverse of `beat_time`."""
    points = [(0.0, lead_in_s), *pins]
    for (b0, t0), (b1, t1) in itertools.pairwise(points):
        if time_s <= t1:
            return b0 + (time_s - t0) * (b1 - b0) / (t1 - t0)
    b, t = points[-1]
    return b + (time_s - t) * tempo_bpm / 60.0


def beat_time(
    beat: float, tempo_bpm: float, lead_in_s: float = 0.0, pins: list[tuple[float, float]] | tuple = ()
) -> float:
    """Seconds at counted beat `beat`: linear between the pins (beat, time), at the base tempo
    before the first (from the lead-in) and after the last."""
    b0, t0 = 0.0, lead_in_s
    for b1, t1 in pins:
        if beat <= b1:
            return t0 + (beat - b0) * (t1 - t0) / (b1 - b0)
        b0, t0 = b1, t1
    return t0 + (beat - b0) * 60.0 / tempo_bpm


def fit_duration(
    duration_s: float, tempo: float, tempo_fixed: bool, meter: Meter, ring_target: float, lead_in_s: float = 0.0
) -> BeatGrid:
    """The grid that fills `duration_s` (after a lead-in) with whole beats then a ringing chord.

    An inferred tempo may move by up to 4 % so the music fills whole bars; otherwise the first bar
    becomes a pickup, so the final chord still lands on a downbeat and rings to the exact end.
    """
    bpb = meter.beats_per_bar
    span = duration_s - lead_in_s
    music_s = span - ring_target
    if not tempo_fixed:
        bars = max(1, round(music_s * tempo / 60.0 / bpb))
        fitted = bars * bpb * 60.0 / music_s
        if abs(fitted / tempo - 1) <= MAX_TEMPO_NUDGE:
            return BeatGrid(fitted, bars, 0.0, ring_target, lead_in_s)
    beat_s = 60.0 / tempo
    beats = max(1, math.floor(music_s / beat_s + 1e-9))
    bars = math.ceil(beats / bpb)
    return BeatGrid(tempo, bars, float(bars * bpb - beats), span - beats * beat_s, lead_in_s)


def fit_loop(duration_s: float, tempo: float, tempo_fixed: bool, meter: Meter) -> BeatGrid:
    """The grid of a seamless loop: whole bars and nothing after them (no pickup, no ring).

    An inferred tempo may move by up to MAX_LOOP_NUDGE so the bars fill `duration_s` exactly,
    preferring 4, 8, 16... bars (how game and editing loops are cut), then an even count. A fixed
    tempo keeps the nearest whole number of bars, so the loop may be a little shorter or longer."""
    bar_s = meter.beats_per_bar * 60.0 / tempo
    if tempo_fixed:
        return BeatGrid(tempo, max(1, round(duration_s / bar_s)), 0.0, 0.0)
    best = None
    for bars in range(
        max(1, math.floor(duration_s / bar_s * (1 - MAX_LOOP_NUDGE))),
        math.ceil(duration_s / bar_s * (1 + MAX_LOOP_NUDGE)) + 1,
    ):
        nudge = abs(bars * bar_s / duration_s - 1)
        cost = nudge + (0.0 if bars % 4 == 0 else 0.015 if bars % 2 == 0 else 0.03)
        if bars >= 1 and nudge <= MAX_LOOP_NUDGE and (best is None or cost < best[0]):
            best = (cost, bars)
    if best is None:  # shorter than a bar at any nearby tempo: one bar at the tempo
        return BeatGrid(tempo, 1, 0.0, 0.0)
    bars = best[1]
    return BeatGrid(bars * meter.beats_per_bar * 60.0 / duration_s, bars, 0.0, 0.0)


def fit_to_cuts(
    duration_s: float,
    cuts_s: list[float],
    tempo_range: tuple[float, float],
    meter: Meter,
    ring_target: float,
    fixed_tempo: float | None = None,
) -> tuple[BeatGrid, list[float]]:
    """(grid, distance in seconds from each cut to its nearest beat) for the best tempo and lead-in.

    A cut in the last `ring_target` seconds (but not the last MIN_FINAL_RING_S) is where the final
    chord lands, when the tempo allows; cuts after the final chord are not aimed at."""
    bpb = meter.beats_per_bar
    usable = np.asarray([c for c in cuts_s if 0 < c < duration_s - ring_target], dtype=float)
    ending = [c for c in cuts_s if duration_s - ring_target <= c <= duration_s - MIN_FINAL_RING_S]
    ending_cut = ending[-1] if ending else None
    if usable.size == 0:
        tempo = fixed_tempo or float(np.mean(tempo_range))
        return fit_duration(duration_s, tempo, fixed_tempo is not None, meter, ring_target), []
    low, high = tempo_range
    tempos = np.array([fixed_tempo]) if fixed_tempo else np.arange(low, high + 1e-9, TEMPO_STEP_BPM)
    beat = 60.0 / tempos[:, None]  # [T, 1]
    # Candidate lead-ins: each cut's phase in the beat (that cut exactly on a beat), and none.
    leads = np.concatenate([np.mod(usable[None, :], beat), np.zeros((len(tempos), 1))], axis=1)  # [T, C+1]
    leads = np.where(leads <= MAX_LEAD_IN_S, leads, 0.0)
    rel = (usable[None, None, :] - leads[:, :, None]) / beat[:, :, None]  # cut positions in beats [T, L, C]
    on_beat = np.exp(-(((np.abs(rel - np.round(rel)) * beat[:, :, None]) / CUT_SIGMA_S) ** 2))
    # Downbeats: the grid fills the span after the lead-in with whole beats, the first bar a
    # pickup of `offset` beats; a beat index i is a downbeat when (i + offset) % bpb == 0.
    music_s = duration_s - leads - ring_target  # [T, L]
    beats = np.floor(music_s / beat + 1e-9)
    offset = np.ceil(beats / bpb) * bpb - beats
    down = np.mod(np.round(rel) + offset[:, :, None], bpb) == 0
    score = (on_beat * (1 + DOWNBEAT_BONUS * down)).sum(-1)  # [T, L]
    centre = (low + high) / 2
    score -= TEMPO_PRIOR * ((tempos[:, None] - centre) / max(high - low, 1.0)) ** 2
    # The best constant-tempo grids, then which of them hits the most cuts once pinned.
    best: tuple | None = None
    for flat in np.argsort(-score, axis=None)[:PIN_CANDIDATES]:
        t, lead = np.unravel_index(flat, score.shape)
        grid = fit_duration(duration_s, float(tempos[t]), True, meter, ring_target, lead_in_s=float(leads[t, lead]))
        grid = pin_cuts(grid, list(usable), meter, duration_s, ring_target, ending_cut)
        aimed = [*usable, *([ending_cut] if ending_cut is not None else [])]
        distances = [abs(grid.time_of(round(grid.beat_at(c))) - c) for c in aimed]
        on_downbeat = sum(
            abs(
                (grid.beat_at(c) + grid.pickup_offset_beats) / bpb
                - round((grid.beat_at(c) + grid.pickup_offset_beats) / bpb)
            )
            < 1e-3
            for c in usable
        )
        rank = (sum(d < 0.005 for d in distances), on_downbeat, float(score.flat[flat]))
        if best is None or rank > best[0]:
            best = (rank, grid, distances)
    return best[1], best[2]


def pin_cuts(
    grid: BeatGrid,
    cuts_s: list[float],
    meter: Meter,
    duration_s: float,
    ring_target: float,
    ending_cut: float | None = None,
) -> BeatGrid:
    """Pin each cut to the nearest downbeat, else the nearest beat, when the tempo before it need
    bend by at most MAX_STRETCH; then land the final chord on `ending_cut` if it can, else re-fit
    the end so the final chord rings to the exact end."""
    bpb, beat_s = meter.beats_per_bar, 60.0 / grid.tempo_bpm
    pins: list[tuple[float, float]] = []
    for cut in sorted(cuts_s):
        b0, t0 = pins[-1] if pins else (0.0, grid.lead_in_s)
        position = b0 + (cut - t0) / beat_s
        downbeat = round((position + grid.pickup_offset_beats) / bpb) * bpb - grid.pickup_offset_beats
        for target in (downbeat, round(position)):
            if target > b0 and abs((cut - t0) / ((target - b0) * beat_s) - 1) <= MAX_STRETCH:
                if abs(target - position) > 1e-6:
                    pins.append((float(target), cut))
                break
    # The end: whole bars after the last pin at the base tempo, the final chord ringing to the end.
    last_beat, last_time = pins[-1] if pins else (0.0, grid.lead_in_s)
    if ending_cut is not None:  # the final chord on the last cut, a downbeat after the last pin
        bars = round((last_beat + (ending_cut - last_time) / beat_s + grid.pickup_offset_beats) / bpb)
        final_beat = bars * bpb - grid.pickup_offset_beats
        if (
            final_beat > last_beat
            and abs((ending_cut - last_time) / ((final_beat - last_beat) * beat_s) - 1) <= MAX_STRETCH
        ):
            return BeatGrid(
                grid.tempo_bpm,
                bars,
                grid.pickup_offset_beats,
                duration_s - ending_cut,
                grid.lead_in_s,
                [*pins, (float(final_beat), ending_cut)],
            )
    if not pins:
        return grid
    bars = grid.total_bars
    final = lambda n: last_time + (n * bpb - grid.pickup_offset_beats - last_beat) * beat_s
    while bars > 1 and duration_s - final(bars) < 0.5 * ring_target:
        bars -= 1
    while duration_s - final(bars + 1) >= ring_target:
        bars += 1
    return BeatGrid(grid.tempo_bpm, bars, grid.pickup_offset_beats, duration_s - final(bars), grid.lead_in_s, pins)


def bar_of_time(time_s: float, grid: BeatGrid, meter: Meter) -> int:
    """The bar whose downbeat is nearest to `time_s`."""
    return int(round((grid.beat_at(time_s) + grid.pickup_offset_beats) / meter.beats_per_bar))


def section_bounds_at_cuts(cuts_s: list[float], grid: BeatGrid, meter: Meter) -> list[int]:
    """Bar numbers where sections start: 0 and the bar line nearest each cut, at least
    MIN_SECTION_BARS apart and before the last bar."""
    starts = [0]
    for bar in sorted(bar_of_time(c, grid, meter) for c in cuts_s):
        if bar - starts[-1] >= MIN_SECTION_BARS and grid.total_bars - bar >= 1:
            starts.append(bar)
    return starts


def bar_energies_from_curve(curve: list[tuple[float, float]], grid: BeatGrid, meter: Meter) -> list[float]:
    """The mean of an energy curve (time s, 0..1) over each bar's time span."""
    if not curve:
        return []
    times, values = np.asarray(curve, dtype=float).T
    bpb = meter.beats_per_bar
    energies = []
    for bar in range(grid.total_bars):
        start = grid.time_of(max(0.0, bar * bpb - grid.pickup_offset_beats))
        end = grid.time_of((bar + 1) * bpb - grid.pickup_offset_beats)
        inside = (times >= start) & (times < end)
        energies.append(
            float(values[inside].mean()) if inside.any() else float(np.interp((start + end) / 2, times, values))
        )
    return energies
