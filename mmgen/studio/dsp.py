"""Signal pieces the studio's instruments are built from: band-limited oscillators (PolyBLEP),
envelopes and a resonant low-pass filter whose cutoff moves per sample (the one loop numpy
cannot vectorise, compiled with numba, which librosa already brings)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

DB60 = math.log(1000.0)  # e-folds to fall 60 dB


def phase(freq: np.ndarray | float, n: int, rate: int, start: float = 0.0) -> np.ndarray:
    """Oscillator phase in [0, 1) `[n]` for a constant or per-sample frequency (Hz)."""
    if np.ndim(freq) == 0:
        return (start + np.arange(n) * (float(freq) / rate)) % 1.0
    return (start + np.cumsum(freq) / rate) % 1.0


def _blep(p: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
    """PolyBLEP residual: subtracting it from a naive ramp removes most of its aliasing."""
    out = np.zeros_like(p)
    dt = np.broadcast_to(np.asarray(dt, dtype=np.float64), p.shape)
    lo = p < dt
    t = p[lo] / dt[lo]
    out[lo] = t + t - t * t - 1.0
    hi = p > 1.0 - dt
    t = (p[hi] - 1.0) / dt[hi]
    out[hi] = t * t + t + t + 1.0
    return out


def saw(p: np.ndarray, dt) -> np.ndarray:
    return 2.0 * p - 1.0 - _blep(p, dt)


def pulse(p: np.ndarray, dt, width: float = 0.5) -> np.ndarray:
    """A pulse wave of duty cycle `width` as the difference of two saws, DC removed."""
    return (saw(p, dt) - saw((p + width) % 1.0, dt)) * 0.5 + (2.0 * width - 1.0) * 0.5


def triangle(p: np.ndarray) -> np.ndarray:
    return 4.0 * np.abs(p - 0.5) - 1.0


def adsr(n: int, hold: int, rate: int, attack_s: float, decay_s: float, sustain: float, release_s: float) -> np.ndarray:
    """Amplitude envelope `[n]`: linear attack, exponential decay to `sustain` (decay_s: the
    time to fall 60 dB of the way), held until sample `hold`, then an exponential release."""
    t = np.arange(n) / rate
    attack = max(attack_s, 1e-4)
    env = np.where(
        t < attack, t / attack, sustain + (1.0 - sustain) * np.exp(-(t - attack) * DB60 / max(decay_s, 1e-3))
    )
    if hold < n:
        off = env[hold]
        env[hold:] = off * np.exp(-(t[hold:] - t[hold]) * DB60 / max(release_s, 1e-3))
    return env


def soft_clip(x: np.ndarray, drive: float) -> np.ndarray:
    """tanh saturation; drive 0..1 from clean to heavily driven, the level kept near unity."""
    if drive <= 0:
        return x
    k = 1.0 + 6.0 * drive
    return np.tanh(k * x) / math.tanh(k)


@njit(cache=True, fastmath=True)
def lowpass(x: np.ndarray, cutoff_hz: np.ndarray, rate: float, resonance: float) -> np.ndarray:
    """Resonant 12 dB/octave low-pass `[n]` (a topology-preserving state-variable filter, stable
    under fast cutoff sweeps); cutoff per sample; resonance 0..1 (1 just short of oscillation)."""
    y = np.empty_like(x)
    k = 2.0 - 1.9 * resonance
    ic1 = 0.0
    ic2 = 0.0
    nyquist_guard = 0.45 * rate
    for i in range(x.shape[0]):
        fc = min(max(cutoff_hz[i], 20.0), nyquist_guard)
        g = math.tan(math.pi * fc / rate)
        a1 = 1.0 / (1.0 + g * (g + k))
        a2 = g * a1
        a3 = g * a2
        v3 = x[i] - ic2
        v1 = a1 * ic1 + a2 * v3
        v2 = ic2 + a2 * ic1 + a3 * v3
        ic1 = 2.0 * v1 - ic1
        ic2 = 2.0 * v2 - ic2
        y[i] = v2
    return y


@njit(cache=True)
def follow(x: np.ndarray, attack: float, release: float) -> np.ndarray:
    """One-pole envelope follower `[n]`: rises with coefficient `attack`, falls with `release`
    (each exp(-1 / time in samples))."""
    y = np.empty_like(x)
    value = 0.0
    for i in range(x.shape[0]):
        coeff = attack if x[i] > value else release
        value = x[i] + (value - x[i]) * coeff
        y[i] = value
    return y


def _biquad(kind: str, hz: float, gain_db: float, q: float, rate: int) -> np.ndarray:
    """One second-order section `[6]` (b0 b1 b2 a0 a1 a2), after R. Bristow-Johnson's cookbook."""
    from scipy.signal import butter

    if kind in ("highpass", "lowpass"):
        return butter(2, hz, btype=kind, fs=rate, output="sos")[0]
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * hz / rate
    cos, alpha = math.cos(w0), math.sin(w0) / (2 * q)
    if kind == "peak":
        section = [1 + alpha * a, -2 * cos, 1 - alpha * a, 1 + alpha / a, -2 * cos, 1 - alpha / a]
    else:  # shelves
        root = 2 * math.sqrt(a) * alpha
        sign = 1 if kind == "lowshelf" else -1
        section = [
            a * ((a + 1) - sign * (a - 1) * cos + root),
            sign * 2 * a * ((a - 1) - sign * (a + 1) * cos),
            a * ((a + 1) - sign * (a - 1) * cos - root),
            (a + 1) + sign * (a - 1) * cos + root,
            -sign * 2 * ((a - 1) + sign * (a + 1) * cos),
            (a + 1) + sign * (a - 1) * cos - root,
        ]
    section = np.array(section)
    return np.concatenate([section[:3] / section[3], [1.0], section[4:] / section[3]])


def equalise(audio: np.ndarray, bands: list, rate: int) -> np.ndarray:
    """audio `[C, N]` through a cascade of filters, each [type, hz, gain_db, q] (types: highpass,
    lowpass, lowshelf, highshelf, peak): one pass of scipy's sosfilt for the whole cascade."""
    from scipy.signal import sosfilt

    if not bands:
        return audio
    sos = np.stack(
        [_biquad(b[0], b[1], b[2] if len(b) > 2 else 0.0, b[3] if len(b) > 3 else 0.707, rate) for b in bands]
    )
    return sosfilt(sos.astype(audio.dtype), audio, axis=-1)
