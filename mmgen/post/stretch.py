"""Rubber Band, the time-stretcher: a time map (audio bent so chosen input samples land on chosen
output samples) through its command-line tool, and a constant pitch shift through pedalboard's
built-in copy.

The time map runs Debian's `rubberband-cli` (through pyrubberband) on its default engine, which
lands every key frame within a few milliseconds; measured, its finer engine (`-3`) shifts the
whole map about 90 ms late, and pedalboard's in-process stretcher drifts when its ratio varies.
A pitch shift keeps the length and timing exactly, so pedalboard does it without a subprocess.
"""

from __future__ import annotations

import shutil

import numpy as np

RUBBERBAND = "rubberband"


def time_map_missing() -> str | None:
    """Why a time map cannot be applied on this machine, in plain words, or None when it can."""
    if shutil.which(RUBBERBAND) is None:
        return (
            "Bending audio to the beat needs Rubber Band's command-line tool, which is not installed "
            "(on Debian or Ubuntu: apt install rubberband-cli)."
        )
    return None


def time_map_stretch(samples: np.ndarray, rate: int, key_frames: list[tuple[int, int]], length: int) -> np.ndarray:
    """`samples` `[C, N]` bent so that each (input sample, output sample) key frame holds;
    between them the ratio is constant. Returns `[C, length]`: the last key frame is
    (N, length). Key frames must rise in both coordinates."""
    import pyrubberband

    frames = [(0, 0)]
    for source, target in key_frames:
        if source > frames[-1][0] and target > frames[-1][1] and source < samples.shape[1] and target < length:
            frames.append((int(source), int(target)))
    frames.append((samples.shape[1], length))
    out = pyrubberband.timemap_stretch(np.ascontiguousarray(samples.T, dtype=np.float32), rate, frames)
    out = np.asarray(out, dtype=np.float32).reshape(-1, samples.shape[0]).T
    if out.shape[1] < length:  # the tool may round the last frame away
        out = np.pad(out, ((0, 0), (0, length - out.shape[1])))
    return np.ascontiguousarray(out[:, :length])


def stretch(samples: np.ndarray, rate: int, factor: float, smooth: bool = False) -> np.ndarray:
    """`samples` `[C, N]` played `factor` times as long (pitch kept): `[C, about N * factor]`.
    `smooth` softens transients (for a held chord rather than a beat)."""
    import pedalboard

    return pedalboard.time_stretch(
        np.ascontiguousarray(samples, dtype=np.float32),
        float(rate),
        stretch_factor=1.0 / factor,
        transient_mode="smooth" if smooth else "crisp",
        use_long_fft_window=smooth or None,
    )


def pitch_shift(samples: np.ndarray, rate: int, semitones: float) -> np.ndarray:
    """`samples` `[C, N]` shifted by `semitones`, formants kept (voices do not chipmunk); same length."""
    import pedalboard

    shifted = pedalboard.time_stretch(
        np.ascontiguousarray(samples, dtype=np.float32),
        float(rate),
        stretch_factor=1.0,
        pitch_shift_in_semitones=float(semitones),
        preserve_formants=True,
    )
    n = samples.shape[1]
    return np.pad(shifted, ((0, 0), (0, max(0, n - shifted.shape[1]))))[:, :n]
