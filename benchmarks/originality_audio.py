"""Calibrate the audio originality check (mmgen/originality/audio.py): SIMILAR_AT and COPY_AT.

Composer tracks (20 s) for 16 prompt/seed pairs, three prompts with several seeds (the same style,
other music: these must stay "original" or at most "similar"). The first six are re-made as copies:
+3 semitones, 1.15x and 0.85x tempo, +3 semitones at 1.15x, -2 semitones at 0.85x, re-mastered
(EQ, compression, -8 dB), and the middle 15 s at +2 semitones (an excerpt: contained in the
original). Copies are scored against their original, the unrelated tracks pairwise. Then the time
of one check: the features of a 60 s track and its similarity with one (cached) reference.

    python benchmarks/originality_audio.py [--duration 20]

Measured (2 shared CPU cores, 20 s tracks, seeds 201-216, which were not used to tune the method;
about 1.5 minutes): copies 0.98 / 1.00 / 1.00 (min / median / max), unrelated 0.00 / 0.08 / 0.56
(same prompt, other seed: at most 0.47). On the tracks the parameters were tuned with (seeds 1-18 at
30 s, 101-116 at 20 s): copies from 0.88, unrelated up to 0.44. Thresholds: SIMILAR_AT 0.6, COPY_AT
0.75. One check of a 60 s track: ~450 ms for its features, ~3 ms for a similarity.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TRACKS = (
    ("calm piano for a vlog", 201),
    ("energetic rock", 202),
    ("lofi", 203),
    ("sad cinematic strings", 204),
    ("gentle waltz", 205),
    ("upbeat electronic dance", 206),
    ("calm piano for a vlog", 207),
    ("calm piano for a vlog", 208),
    ("energetic rock", 209),
    ("lofi", 210),
    ("jazz trio in a cafe", 211),
    ("epic orchestral trailer", 212),
    ("happy ukulele", 213),
    ("dark ambient drone", 214),
    ("hype trap beat for my gaming montage", 215),
    ("a cheerful folk tune for a travel vlog", 216),
)
ORIGINALS = 6


def copies(wave: np.ndarray, rate: int) -> dict[str, np.ndarray]:
    """`[C, N]` -> the re-made versions of it, mono `[1, N']` (the features are mono: half the work)."""
    from pedalboard import Compressor, Gain, HighShelfFilter, LowShelfFilter, Pedalboard, time_stretch

    wave = wave.mean(axis=0, keepdims=True)
    out = {
        name: time_stretch(wave, rate, stretch_factor=stretch, pitch_shift_in_semitones=shift)
        for name, stretch, shift in (
            ("+3 st", 1.0, 3),
            ("1.15x", 1.15, 0),
            ("0.85x", 0.85, 0),
            ("+3 st 1.15x", 1.15, 3),
            ("-2 st 0.85x", 0.85, -2),
        )
    }
    board = Pedalboard([LowShelfFilter(200, 6), HighShelfFilter(6000, -6), Compressor(-20, 4), Gain(-8)])
    out["re-mastered"] = board(wave, rate)
    n = wave.shape[1]
    out["excerpt +2 st"] = time_stretch(wave[:, n // 4 : 3 * n // 4], rate, pitch_shift_in_semitones=2)
    return out


def spread(values) -> str:
    v = np.asarray(list(values))
    return f"min {v.min():.2f}  median {np.median(v):.2f}  max {v.max():.2f}  (n={len(v)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args()
    from mmgen.originality import audio
    from mmgen.pipeline import generate
    from mmgen.request import GenerationRequest

    started = time.time()
    waves = []
    for prompt, seed in TRACKS:
        track = generate(GenerationRequest(prompt=prompt, duration_s=args.duration, seed=seed))
        waves.append(track.audio.samples)
    rate = track.audio.sample_rate_hz
    feats = [audio.audio_features(w, rate) for w in waves]
    print(f"{len(waves)} tracks made and analysed in {time.time() - started:.0f} s")

    copy_scores: dict[tuple[int, str], float] = {}
    for i in range(ORIGINALS):
        for name, wave in copies(waves[i], rate).items():
            copy_scores[(i, name)] = audio.similarity(feats[i], audio.audio_features(wave, rate))
    print(f"{len(copy_scores)} copies made and scored in {time.time() - started:.0f} s (all so far)")
    unrelated = {(i, j): audio.similarity(feats[i], feats[j]) for i, j in itertools.combinations(range(len(feats)), 2)}
    same_style = {k: v for k, v in unrelated.items() if TRACKS[k[0]][0] == TRACKS[k[1]][0]}

    print(f"copies:     {spread(copy_scores.values())}")
    for name in sorted({n for _, n in copy_scores}):
        print(f"  {name:<14} {spread(v for (_, n), v in copy_scores.items() if n == name)}")
    print(f"unrelated:  {spread(unrelated.values())}")
    print(f"  same prompt, other seed: {spread(same_style.values())}")
    for (i, j), v in sorted(unrelated.items(), key=lambda kv: -kv[1])[:3]:
        print(f"  highest: {TRACKS[i]} vs {TRACKS[j]}: {v:.2f}")
    for (i, name), v in sorted(copy_scores.items(), key=lambda kv: kv[1])[:3]:
        print(f"  lowest copy: {TRACKS[i]} {name}: {v:.2f}")

    # One check of a 60 s track against one reference whose features are cached.
    long = generate(GenerationRequest(prompt="energetic rock", duration_s=60, seed=120)).audio
    audio.similarity(feats[0], feats[1])  # numba's compile is paid once a process, not per check
    runs = 3
    t = time.perf_counter()
    for _ in range(runs):
        query = audio.audio_features(long.samples, long.sample_rate_hz)
    features_ms = (time.perf_counter() - t) / runs * 1000
    t = time.perf_counter()
    for _ in range(20):
        audio.similarity(query, feats[1])
    similarity_ms = (time.perf_counter() - t) / 20 * 1000
    print(f"60 s track: features {features_ms:.0f} ms ({query.shape[1]} beats), similarity {similarity_ms:.1f} ms")

    copies_min, unrelated_max = min(copy_scores.values()), max(unrelated.values())
    print(
        f"copies_min={copies_min:.3f} unrelated_max={unrelated_max:.3f} similar_at={audio.SIMILAR_AT} "
        f"copy_at={audio.COPY_AT} check_ms={features_ms + similarity_ms:.0f}"
    )


if __name__ == "__main__":
    main()
