"""How well a loop repeats: played three times over, is there a click or a stumble at the seams?

- The step: the largest sample-to-sample jump within 1 ms of a seam, against the largest one at
  the loop's own bar lines (where its drums and chords start anyway): a seam that is no rougher
  than a bar line inside the music has no click.
- The beat: beats tracked across the repeats (librosa at a 2.9 ms hop); the beat interval that
  spans each seam against the median of all the others.
"""

from __future__ import annotations

import numpy as np

FINE_HOP = 128  # 2.9 ms at 44.1 kHz: finer than the 2 % of a beat the seam must keep


def seam_check(samples: np.ndarray, rate: int, bar_s: float, repeats: int = 3) -> dict:
    """samples `[C, N]`: one cycle of a loop whose bars last `bar_s`. Returns seam_step and
    bar_line_step (largest |x[n+1] - x[n]| near the seams / near the bar lines inside),
    seam_beat_deviation (the seams' beat intervals off the median interval, a fraction) and,
    for scale, beat_deviation_median (how far the other intervals are off it, median)."""
    import librosa

    length = samples.shape[-1]
    tiled = np.tile(samples, (1, repeats))
    steps = np.abs(np.diff(tiled, axis=-1)).max(axis=0)
    near = max(1, int(0.001 * rate))

    def step_at(sample: int) -> float:
        return float(steps[max(0, sample - 1 - near) : sample + near].max())

    seams = [k * length for k in range(1, repeats)]
    bars = int(round(length / (bar_s * rate)))
    bar_lines = [int(round(b * bar_s * rate)) for b in range(1, bars)]
    mono = tiled.mean(axis=0)
    _, frames = librosa.beat.beat_track(y=mono, sr=rate, hop_length=FINE_HOP)
    beats = librosa.frames_to_time(frames, sr=rate, hop_length=FINE_HOP)
    intervals, middles = np.diff(beats), (beats[1:] + beats[:-1]) / 2
    deviation, spread = 0.0, 0.0
    if intervals.size >= 3:
        spanning = [int(np.argmin(np.abs(middles - s / rate))) for s in seams]
        rest = np.delete(intervals, spanning)
        deviation = max(abs(intervals[i] / np.median(rest) - 1) for i in spanning)
        spread = float(np.median(np.abs(rest / np.median(rest) - 1)))
    return {
        "seam_step": max(step_at(s) for s in seams),
        "bar_line_step": max((step_at(s) for s in bar_lines), default=0.0),
        "seam_beat_deviation": float(deviation),
        "beat_deviation_median": spread,  # how much the other beat intervals wander, for scale
        "beats": int(beats.size),
    }
