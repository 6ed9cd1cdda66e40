"""Conforming: audio an engine made (or a track a user brings) bent onto the plan's time grid.

The audio's beats and downbeats are measured, and each beat is mapped to a beat of the plan (its
first downbeat on the plan's first bar line): constant tempo for a prompt, the cut-pinned tempo
map of a video. Rubber Band applies the map, so every beat lands on the grid and every cut on a
beat. The music then ends on the plan's final downbeat: the attack of that beat as played, then
its chord held and decaying to the last sample (the harmonic part of the beat, stretched), so the
result is exactly the asked length with a real ending. Optionally the key is brought to the
plan's by a formant-preserving pitch shift of a semitone or two.

Audio that would need more than MAX_TEMPO_CHANGE of stretch keeps its own timing (and still gets
its ending at a downbeat and its exact length); the report says why.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..codecs.base import Waveform
from ..eval import metrics
from ..eval.rhythm import Rhythm, grid_errors_s, measure_rhythm, tracker_name
from ..plan import MusicPlan
from ..request import DURATION_RANGE_S
from . import stretch

MAX_TEMPO_CHANGE = 0.12  # further than this, stretched audio sounds stretched
GLITCH_CHANGE = 0.3  # one beat needing this much is the tracker's mistake: interpolate over it
OVERSHOOT = 0.08  # engines are asked for this much more music (and a bar) than the plan needs
HIT_S = 0.25  # the final downbeat's attack, kept as played before its chord rings on
RING_FLOOR_DB = -60.0  # the held chord falls this far by the last sample
EDGE_S = 0.01  # fades at a trimmed start and at the very end
KEY_CLEAR = 0.6  # key correlation above which `auto` trusts the measured key
SMOOTH_BEATS = 9  # the measured beats are smoothed over this many (tracker jitter, not drift)


@dataclass
class ConformReport:
    """What conforming found and did; `before`/`after` as `_figures` measures them."""

    applied: bool
    before: dict
    after: dict = field(default_factory=dict)
    tempo_change_pct: list[float] = field(default_factory=list)  # the least and most a beat was bent
    key_shift_semitones: int = 0
    ends_at_s: float = 0.0  # the final downbeat
    notes: list[str] = field(default_factory=list)
    beat_tracker: str = ""
    beats_after_s: list[float] = field(default_factory=list)  # the result's beats, for the plan figure
    time_map_s: list[tuple[float, float]] = field(default_factory=list)  # (input s, output s) key frames

    def to_dict(self) -> dict:
        figures = asdict(self)
        del figures["time_map_s"]  # for measuring, not for reading
        return figures


def engine_duration(plan: MusicPlan, longest_s: float = DURATION_RANGE_S[1]) -> float:
    """How long an audio engine is asked to play: enough for the plan's last bar even when it
    plays 8 % slow, and a bar to ring into."""
    return min(longest_s, plan.duration_s * (1 + OVERSHOOT) + plan.bar_s)


def _grid_s(plan: MusicPlan) -> np.ndarray:
    """The plan's beat times from beat 0 to the final chord `[K + 1]`."""
    return np.array([plan.beat_time(k) for k in range(int(math.floor(plan.final_chord_beat + 1e-9)) + 1)])


def _measure(samples: np.ndarray, rate: int, plan: MusicPlan) -> Rhythm:
    return measure_rhythm(samples, rate, plan.meter.beats_per_bar, plan.tempo_bpm, plan.meter.is_compound)


def _figures(samples: np.ndarray, rate: int, plan: MusicPlan, rhythm: Rhythm, key_until_s: float) -> dict:
    """Tempo, beat-to-grid error (median and 90th percentile, ms), each aimed cut's distance to
    the nearest beat (ms), downbeats' distance to the plan's bar lines (median ms), and the key."""
    grid = _grid_s(plan)
    errors = 1000 * grid_errors_s(rhythm.beats_s, grid)
    bpb = plan.meter.beats_per_bar
    bars = np.array([t for k, t in enumerate(grid) if (k + plan.pickup_offset_beats) % bpb == 0])
    downbeats = grid_errors_s(rhythm.downbeats_s, bars) * 1000 if len(bars) else np.zeros(0)
    aimed = [c for c in plan.cuts_s if c < plan.final_chord_s - 0.01]
    key, clarity = metrics.estimate_key(samples[..., : max(rate, int(key_until_s * rate))], rate)
    return {
        "tempo_bpm": round(rhythm.tempo_bpm, 2),
        "beats_found": len(rhythm.beats_s),
        "beat_to_grid_ms": _spread(errors),
        "downbeat_to_bar_ms": _spread(downbeats)["median"],
        "cut_to_beat_ms": [
            round(1000 * d, 1) if np.isfinite(d) else None for d in metrics.cut_to_beat_s(aimed, rhythm.beats_s)
        ],
        "key": key.name,
        "key_clarity": round(clarity, 3),
    }


def _spread(values_ms: np.ndarray) -> dict:
    if not len(values_ms):
        return {"median": None, "p90": None}
    return {"median": round(float(np.median(values_ms)), 1), "p90": round(float(np.percentile(values_ms, 90)), 1)}


def conform(wave: Waveform, plan: MusicPlan, fix_key: str = "auto") -> tuple[Waveform, ConformReport]:
    """`wave` `[C, N]` on the plan's grid, ending on its final downbeat, exactly `plan.duration_s`
    long; `fix_key` (auto | on | off) says whether a wrong key is shifted to the plan's."""
    rate, samples = wave.sample_rate_hz, np.asarray(wave.samples, dtype=np.float32)
    length = round(plan.duration_s * rate)
    rhythm = _measure(samples, rate, plan)
    report = ConformReport(applied=False, before=_figures(samples, rate, plan, rhythm, plan.final_chord_s))
    samples, report.key_shift_semitones = _fix_key(samples, rate, plan, report, fix_key)
    placed, final_s = _follow_grid(samples, rate, plan, rhythm, report)
    out = _ending(placed, rate, round(final_s * rate), length)
    report.ends_at_s = round(final_s, 4)
    after = _measure(out, rate, plan)
    report.after = _figures(out, rate, plan, after, final_s)
    report.beat_tracker = tracker_name()
    report.beats_after_s = [round(float(t), 3) for t in after.beats_s]
    return Waveform(out, rate, notes=dict(wave.notes)), report


def _fix_key(samples: np.ndarray, rate: int, plan: MusicPlan, report: ConformReport, fix_key: str):
    """(samples shifted to the plan's key when the setting allows, the shift in semitones)."""
    limit = {"auto": 1, "on": 2, "off": 0}[fix_key]  # the request's FIX_KEY_MODES
    found = metrics.estimate_key(samples, rate)[0]
    shift = key_shift(found, plan.key)
    if shift == 0 or limit == 0:
        return samples, 0
    clear = report.before["key_clarity"] >= KEY_CLEAR
    if abs(shift) > limit or (fix_key == "auto" and not clear):
        why = "it is not clear enough to trust" if abs(shift) <= limit else f"{abs(shift)} semitones is too far"
        report.notes.append(f"The music is in {found.name}, not the plan's {plan.key.name}; not shifted: {why}.")
        return samples, 0
    report.notes.append(
        f"Shifted {shift:+d} semitone{'s' if abs(shift) > 1 else ''} from {found.name} to the plan's key."
    )
    return stretch.pitch_shift(samples, rate, shift), shift


def key_shift(found, planned) -> int:
    """The smallest pitch shift (semitones, -6..6) taking `found` to `planned` or to its relative
    major/minor (which shares its notes); 0 when it already is one of them."""
    targets = [planned.tonic_pc] if found.mode == planned.mode else []
    if found.mode != planned.mode:  # the relative key in the found mode
        targets.append((planned.tonic_pc + (9 if planned.mode == "major" else 3)) % 12)
    return min(((t - found.tonic_pc + 6) % 12 - 6 for t in targets), key=abs)


def _follow_grid(
    samples: np.ndarray, rate: int, plan: MusicPlan, rhythm: Rhythm, report: ConformReport
) -> tuple[np.ndarray, float]:
    """(the audio on the plan's timeline, at least to its final downbeat, the final downbeat's
    time s). Where it cannot be bent it keeps its timing and ends at its own downbeat nearest
    the plan's final chord."""
    bpb = plan.meter.beats_per_bar
    missing = stretch.time_map_missing()
    problem = missing or _unbendable(rhythm, plan)
    if problem:
        report.notes.append(problem)
        downbeats = rhythm.downbeats_s
        final = plan.final_chord_s
        if len(downbeats) and len(rhythm.beats_s) >= 2 * bpb:
            final = float(downbeats[np.argmin(np.abs(downbeats - final))])
        return samples, min(final, plan.duration_s)
    beats = _smoothed(rhythm.beats_s)
    first_bar = int(round(-plan.pickup_offset_beats)) % bpb  # the plan's first downbeat
    counted = np.arange(len(beats)) - rhythm.first_downbeat + first_bar  # each beat's plan beat
    final_beat = int(round(plan.final_chord_beat))
    if counted[-1] < final_beat:  # the engine stopped early: end on its last downbeat
        final_beat = int(counted[(counted + plan.pickup_offset_beats) % bpb == 0][-1])
        report.notes.append(
            f"The music ran out {plan.final_chord_beat - final_beat:g} beats before the plan's final chord; "
            "it ends on its last bar and rings from there."
        )
    keep = counted <= final_beat
    source, target = beats[keep], np.array([plan.beat_time(k) for k in counted[keep]])
    source, target = _without_glitches(source, target)
    change = (np.diff(source) / np.diff(target) - 1) * 100  # + : the music speeds up
    report.tempo_change_pct = [round(float(change.min()), 1), round(float(change.max()), 1)]
    # The stretched audio starts where the first beat's ratio extends back to; a bit of the
    # beat after the final downbeat comes along for the ending.
    first_ratio, last_ratio = (
        (target[1] - target[0]) / (source[1] - source[0]),
        (target[-1] - target[-2]) / (source[-1] - source[-2]),
    )
    start_s = target[0] - source[0] * first_ratio
    tail_s = min(samples.shape[1] / rate - source[-1], 2 * (source[-1] - source[-2]))
    end_in = min(samples.shape[1], round((source[-1] + tail_s) * rate))
    out_length = round((target[-1] - start_s + tail_s * last_ratio) * rate)
    frames = [(round(s * rate), round((t - start_s) * rate)) for s, t in zip(source, target)]
    bent = stretch.time_map_stretch(samples[:, :end_in], rate, frames, out_length)
    report.applied = True
    report.time_map_s = [(float(s), float(t)) for s, t in zip(source, target)]
    return _placed(bent, round(start_s * rate), rate), float(target[-1])


def _unbendable(rhythm: Rhythm, plan: MusicPlan) -> str | None:
    """Why the audio's timing is left as it is, or None."""
    bpb = plan.meter.beats_per_bar
    if len(rhythm.beats_s) < 2 * bpb:
        return "No steady beat was found in the music, so its timing is left as it is."
    grid = _grid_s(plan)
    planned = 60.0 * (len(grid) - 1) / (grid[-1] - grid[0]) if len(grid) > 1 else plan.tempo_bpm
    change = rhythm.tempo_bpm / planned - 1
    if abs(change) > MAX_TEMPO_CHANGE:
        return (
            f"The music plays at {rhythm.tempo_bpm:.0f} BPM, {100 * change:+.0f} % from the plan's "
            f"{planned:.0f} BPM: bending it more than {100 * MAX_TEMPO_CHANGE:.0f} % would sound stretched, "
            "so its timing is left as it is."
        )
    return None


def _smoothed(beats: np.ndarray) -> np.ndarray:
    """Beat times with the tracker's jitter smoothed away (a quadratic over SMOOTH_BEATS beats
    follows a drifting tempo)."""
    from scipy.signal import savgol_filter

    if len(beats) < SMOOTH_BEATS:
        return beats
    return savgol_filter(beats, SMOOTH_BEATS, 2)


def _without_glitches(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop key frames whose beat would be bent more than GLITCH_CHANGE (a skipped or doubled
    beat), keeping the first and last."""
    keep = np.ones(len(source), bool)
    change = np.diff(source) / np.diff(target) - 1
    for i in np.nonzero(np.abs(change) > GLITCH_CHANGE)[0]:
        if 0 < i + 1 < len(source) - 1:
            keep[i + 1] = False
    return source[keep], target[keep]


def _placed(bent: np.ndarray, start: int, rate: int) -> np.ndarray:
    """`bent` `[C, M]` with its first sample at `start` on the timeline: silence before a
    positive start, the part before 0 cut (with a short fade in) for a negative one."""
    if start >= 0:
        return np.pad(bent, ((0, 0), (start, 0)))
    cut = bent[:, -start:].copy()
    n = min(cut.shape[1], int(EDGE_S * rate))
    cut[:, :n] *= np.linspace(0.0, 1.0, n, dtype=np.float32)
    return cut


def _ending(samples: np.ndarray, rate: int, final: int, length: int) -> np.ndarray:
    """`[C, length]`: `samples` to sample `final` (the final downbeat), then that beat's attack as
    played, crossfading into its chord held (the harmonic part, stretched) and decaying by
    RING_FLOOR_DB to the last sample."""
    import librosa

    channels = samples.shape[0]
    out = np.zeros((channels, length), np.float32)
    final = max(0, min(final, length))
    body = samples[:, :final]
    out[:, : body.shape[1]] = body
    ring = length - final
    if ring <= 0:
        return _end_fade(out, rate)
    beat = samples[:, final : final + int(0.5 * rate)]
    if beat.shape[1] < int(0.1 * rate):  # nothing after the downbeat: hold the beat before it
        beat = samples[:, max(0, final - int(0.5 * rate)) : final]
    if beat.shape[1] < 64:
        return _end_fade(out, rate)
    harmonic = np.stack([librosa.effects.harmonic(channel, margin=2.0) for channel in beat])
    held = stretch.stretch(harmonic, rate, (ring + rate) / harmonic.shape[1], smooth=True)[:, :ring]
    held = np.pad(held, ((0, 0), (0, ring - held.shape[1])))
    decay = 10 ** (RING_FLOOR_DB / 20 * np.arange(ring) / ring)
    hit = min(int(HIT_S * rate), ring // 2, beat.shape[1])
    fade = np.ones(ring)
    fade[:hit] = np.sin(0.5 * np.pi * np.arange(hit) / max(hit, 1))
    tail = held * (fade * decay)[None, :]
    if final + hit <= samples.shape[1]:
        attack = samples[:, final : final + hit]
        tail[:, :hit] += attack * np.cos(0.5 * np.pi * np.arange(hit) / max(hit, 1))[None, :]
    out[:, final:] = tail
    return _end_fade(out, rate)


def _end_fade(out: np.ndarray, rate: int) -> np.ndarray:
    n = min(out.shape[1], int(EDGE_S * rate))
    out[:, out.shape[1] - n :] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
    return out
