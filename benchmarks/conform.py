"""How well conforming (mmgen/post/conform.py) brings audio onto the plan: its beats on the grid, the
cuts on beats, the key, and what it costs.

Inputs, side by side in one run:
- the composer's renders of a 24 s plan at tempos 12 % under to 12 % over the target plan's
  (104 BPM, three cuts), some a semitone off its key, and two whose tempo drifts 6 % over 30 s
  (up and down). Their true beats are known, so besides the tracker's figures the true error is
  given: each true beat followed through the time map conforming used;
- with `--ace-dir` (or the immich-memories-music package installed), real ACE-Step tracks, each
  conformed to a plan 4-8 % off its own measured tempo with three cuts (tracker figures only).

"On a beat" is within 30 ms of one (the composer's own video figure: 93 % of cuts pinned on a
beat, 90 % within 60 ms of a beat librosa finds). The key counts right when it is the plan's or its
relative major/minor; it is counted on the composed inputs, whose plan names the key they were
meant to have (an ACE-Step track's plan takes the track's own key).
For ACE-Step, `ace_unshifted` counts the tracks left at their own pitch (their plan takes their own
key, so nothing should move) and `ace_key_read_same` those whose conformed excerpt the key estimator
reads as the whole track's key (a figure of the estimator on a shorter excerpt, not of conforming).

    python benchmarks/conform.py [--ace-dir /tmp/imm/x] [--ace 8]

Last line: grid_ms_p90_before=<ms> grid_ms_p90_after=<ms> cuts_on_beat_after=<fraction> s_per_min=<s>
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

PROMPT = "upbeat pop with drums"
TARGET_BPM = 104.0
ON_BEAT_MS = 30.0
TEMPO_ERRORS = (-0.12, -0.08, -0.04, 0.0, 0.04, 0.08, 0.12)


def render(plan, seed: int):
    from mmgen import registry

    tokens = registry.get("decoder", "composer").decode_many([plan], [seed])[0]
    return registry.get("codec", "studio").decode(tokens)


def grid_of(plan) -> np.ndarray:
    return np.array([plan.beat_time(k) for k in range(int(plan.final_chord_beat) + 1)])


def drifting(plan, start_bpm: float, end_bpm: float):
    """`plan` with tempo pins at every bar moving its tempo from `start_bpm` to `end_bpm`."""
    bpb, beats = plan.meter.beats_per_bar, plan.total_bars * plan.meter.beats_per_bar
    pins, now = [], 0.0
    for beat in range(1, beats + 1):
        now += 60 / start_bpm + (60 / end_bpm - 60 / start_bpm) * beat / beats
        if beat % bpb == 0:
            pins.append((float(beat - plan.pickup_offset_beats), now))
    return replace(plan, tempo_pins=pins, duration_s=pins[-1][1] + 3.0)


def composer_inputs():
    """(name, source plan with its true beats, wave, target plan) for each composed input."""
    from mmgen.music import Key
    from mmgen.pipeline import make_plan
    from mmgen.request import GenerationRequest

    target = make_plan(
        GenerationRequest(prompt=PROMPT, duration_s=20, tempo_bpm=TARGET_BPM, seed=3, cuts_s=[4.1, 9.3, 13.7])
    )
    for i, error in enumerate(TEMPO_ERRORS):
        key = Key((target.key.tonic_pc + (1 if i % 3 == 1 else 0)) % 12, target.key.mode)  # every third one sharp
        source = make_plan(
            GenerationRequest(
                prompt=PROMPT, duration_s=24, tempo_bpm=round(TARGET_BPM * (1 + error), 2), key=key.name, seed=3 + i
            )
        )
        yield (
            f"tempo {100 * error:+.0f} %{' key +1' if key != target.key else ''}",
            source,
            render(source, 3 + i),
            target,
        )
    steady = make_plan(GenerationRequest(prompt=PROMPT, duration_s=30, tempo_bpm=100, seed=5, cuts_s=[7.3, 15.1, 22.6]))
    for start, end in ((97.0, 103.0), (103.0, 97.0)):
        source = drifting(steady, start, end)
        yield f"drift {start:g}->{end:g} BPM", source, render(source, 5), steady


def ace_inputs(folder: str | None, count: int):
    """(name, None, wave, target plan) for real ACE-Step tracks."""
    from beat_trackers import ace_tracks

    from mmgen.codecs.base import OUTPUT_RATE_HZ, Waveform, finished_waveform
    from mmgen.encoders.audio import read_audio
    from mmgen.eval.metrics import estimate_key
    from mmgen.eval.rhythm import measure_rhythm
    from mmgen.pipeline import make_plan
    from mmgen.request import GenerationRequest

    for i, (name, path, _bpm) in enumerate(ace_tracks(folder)[:count]):
        data, rate, _ = read_audio(path, max_s=600, min_s=5)
        wave = finished_waveform(data[:, :2].T, rate, len(data) / rate)
        own = measure_rhythm(wave.samples, OUTPUT_RATE_HZ, 4).tempo_bpm
        error = (-0.08, -0.04, 0.04, 0.08)[i % 4]
        length = min(24.0, wave.duration_s * (1 + error) - 2)
        cuts = [round(length * f, 2) for f in (0.25, 0.5, 0.72)]
        key = estimate_key(wave.samples, OUTPUT_RATE_HZ)[0].name
        target = make_plan(
            GenerationRequest(
                duration_s=round(length, 2), tempo_bpm=round(own * (1 + error), 2), key=key, cuts_s=cuts, seed=i
            )
        )
        yield f"ace-step {name} {100 * error:+.0f} %", None, Waveform(wave.samples, OUTPUT_RATE_HZ), target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ace-dir", default=None, help="an unzipped immich-memories-music wheel")
    parser.add_argument("--ace", type=int, default=8, help="how many ACE-Step tracks")
    args = parser.parse_args()

    from mmgen.eval.metrics import estimate_key, key_matches
    from mmgen.eval.rhythm import tracker_name
    from mmgen.post.conform import conform

    inputs = list(composer_inputs()) + list(ace_inputs(args.ace_dir, args.ace))
    conform(inputs[0][2], inputs[0][3])  # warm: models loaded, code compiled
    rows, seconds, minutes = [], 0.0, 0.0
    for name, source_plan, wave, target in inputs:
        started = time.perf_counter()
        out, report = conform(wave, target, fix_key="auto")
        seconds += time.perf_counter() - started
        minutes += wave.duration_s / 60
        before, after = report.before, report.after
        row = {
            "input": name,
            "applied": report.applied,
            "tempo_before": before["tempo_bpm"],
            "tempo_after": after["tempo_bpm"],
            "grid_p90_ms": [before["beat_to_grid_ms"]["p90"], after["beat_to_grid_ms"]["p90"]],
            "cut_ms_after": after["cut_to_beat_ms"],
            "cut_ms_before": before["cut_to_beat_ms"],
            "key": [before["key"], after["key"], target.key.name],
            "key_right": [
                key_matches(estimate_key(wave.samples, wave.sample_rate_hz)[0], target.key, allow_relative=True),
                key_matches(estimate_key(out.samples, out.sample_rate_hz)[0], target.key, allow_relative=True),
            ],
            "stretch_pct": report.tempo_change_pct,
            "shift": report.key_shift_semitones,
            "exact_length": out.samples.shape[1] == round(target.duration_s * out.sample_rate_hz),
        }
        if source_plan is not None and report.time_map_s:  # the true beats through the time map
            source, dest = np.array(report.time_map_s).T
            moved = np.interp(grid_of(source_plan), source, dest)
            moved = moved[(moved >= dest[0]) & (moved <= target.final_chord_s + 0.05)]
            true = np.abs(moved[:, None] - grid_of(target)[None, :]).min(axis=1) * 1000
            row["true_grid_p90_ms"] = round(float(np.percentile(true, 90)), 1)
        row["composed"] = source_plan is not None
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False))

    def values(key: str, index: int, composed_only: bool = False) -> np.ndarray:
        chosen = [r for r in rows if r["composed"] or not composed_only]
        return np.array([r[key][index] for r in chosen if r[key][index] is not None], dtype=float)

    cuts_before = np.array([d for r in rows for d in r["cut_ms_before"] if d is not None])
    cuts_after = np.array([d for r in rows for d in r["cut_ms_after"] if d is not None])
    true = [r["true_grid_p90_ms"] for r in rows if "true_grid_p90_ms" in r]
    composed = sum(r["composed"] for r in rows)
    ace_unshifted = sum(r["shift"] == 0 for r in rows if not r["composed"])
    ace_read_same = int(values("key_right", 1).sum() - values("key_right", 1, True).sum())
    print(
        f"tracker={tracker_name()} inputs={len(rows)} applied={sum(r['applied'] for r in rows)} "
        f"exact_length={sum(r['exact_length'] for r in rows)}/{len(rows)} "
        f"composed_key_right_before={int(values('key_right', 0, True).sum())}/{composed} "
        f"composed_key_right_after={int(values('key_right', 1, True).sum())}/{composed} "
        f"ace_unshifted={ace_unshifted}/{len(rows) - composed} "
        f"ace_key_read_same={ace_read_same}/{len(rows) - composed} "
        f"true_grid_ms_p90_composer_max={max(true):.1f} "
        f"cuts_on_beat_before={np.mean(cuts_before <= ON_BEAT_MS):.3f} "
        f"cut_ms_median_before={np.median(cuts_before):.1f} cut_ms_median_after={np.median(cuts_after):.1f}"
    )
    print(
        f"grid_ms_p90_before={np.median(values('grid_p90_ms', 0)):.1f} "
        f"grid_ms_p90_after={np.median(values('grid_p90_ms', 1)):.1f} "
        f"cuts_on_beat_after={np.mean(cuts_after <= ON_BEAT_MS):.3f} s_per_min={seconds / minutes:.1f}"
    )


if __name__ == "__main__":
    main()
