"""Mastering: remove DC, normalise integrated loudness (ITU-R BS.1770 via pyloudnorm), keep the
true peak at or below -1 dBTP with a look-ahead limiter, and fade out only an ending that is
still sounding at the last sample. A loop is mastered as it plays, going round: its filters and
limiter see the loop's end before its start and its start after its end (a wrapped margin), so
the gain is the same on both sides of the seam, and it is never faded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d
from scipy.signal import butter, sosfiltfilt

from ..codecs.base import Waveform
from ..errors import GenerationFailed
from ..eval.metrics import integrated_loudness_lufs, true_peak_dbtp

TRUE_PEAK_CEILING_DBTP = -1.0
LIMITER_LOOKAHEAD_S = 0.005
LIMITER_RELEASE_S = 0.08
NATURAL_DECAY_DB = -45.0  # a tail this far under the loudest passage counts as already decayed
FADE_S = 0.5
LOOP_MARGIN_S = 2.0  # a loop is filtered and limited with this much of itself wrapped on each side


@dataclass
class MasteringReport:
    loudness_lufs: float
    true_peak_dbtp: float
    gain_db: float
    limited: bool
    faded: bool

    def to_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _peak_envelope(samples: np.ndarray) -> np.ndarray:
    """Per-sample true-peak envelope `[N]`: the max over channels of the 4x oversampled signal."""
    from scipy.signal import resample_poly

    oversampled = np.abs(resample_poly(samples.astype(np.float32), 4, 1, axis=-1)).max(axis=0)  # [4N]
    return oversampled[: 4 * samples.shape[-1]].reshape(-1, 4).max(axis=1)


def _limiter_gain(held_peak: np.ndarray, rate: int, ceiling: float) -> np.ndarray:
    """Look-ahead limiter gain `[N]` so that peak * gain <= ceiling everywhere; `held_peak` is
    the peak envelope already max-filtered over twice the look-ahead (`_held`), which is the
    min-filter of the gain each sample needs, so one average makes the gain: it never rises above
    what any sample in reach needs, and no peak slips through. A slower release follows, worked
    out at a 1/8 rate (it only ever lowers the gain further, so it needs no sample accuracy)."""
    needed = np.minimum(1.0, ceiling / np.maximum(held_peak, 1e-9))
    if needed.min() >= 1.0:
        return needed
    look = max(1, int(LIMITER_LOOKAHEAD_S * rate))
    gain = uniform_filter1d(needed, size=look)
    step = 8
    coarse = np.pad(gain, (0, (-gain.size) % step), mode="edge").reshape(-1, step).min(axis=1)
    release = max(1, int(LIMITER_RELEASE_S * rate / step))
    coarse = uniform_filter1d(minimum_filter1d(coarse, size=2 * release + 1), size=release)
    slow = np.interp(np.arange(gain.size), np.arange(coarse.size) * step + (step - 1) / 2, coarse)
    return np.minimum(gain, slow)


def _held(peak: np.ndarray, rate: int) -> np.ndarray:
    look = max(1, int(LIMITER_LOOKAHEAD_S * rate))
    return maximum_filter1d(peak, size=2 * look + 1)


def ends_in_silence(samples: np.ndarray, rate: int) -> bool:
    """True when the last 50 ms are at least 45 dB under the loudest 50 ms window."""
    window = max(1, int(0.05 * rate))
    frames = samples[:, : samples.shape[-1] // window * window].reshape(samples.shape[0], -1, window)
    rms = np.sqrt((frames**2).mean(axis=(0, 2)) + 1e-20)
    return 20 * np.log10(rms[-1] / rms.max()) < NATURAL_DECAY_DB


def _k_weighted_power(samples: np.ndarray, rate: int) -> np.ndarray:
    """BS.1770 K-weighted power per sample `[N]`, summed over the (front) channels."""
    import pyloudnorm

    meter = pyloudnorm.Meter(rate)
    weighted = samples.astype(np.float64)
    for stage in meter._filters.values():  # the high shelf and high pass of the K curve
        weighted = np.stack([stage.apply_filter(channel) for channel in weighted])
    return (weighted**2).sum(axis=0)


def _gated_loudness(power: np.ndarray, rate: int) -> float:
    """BS.1770-4 integrated loudness of a K-weighted power `[N]`: 400 ms blocks every 100 ms,
    gated at -70 LUFS and then 10 LU under the mean of the rest."""
    block, step = int(0.4 * rate), int(0.1 * rate)
    if power.size < block:
        return -np.inf
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    starts = np.arange(0, power.size - block + 1, step)
    means = (cumulative[starts + block] - cumulative[starts]) / block
    loud = -0.691 + 10 * np.log10(np.maximum(means, 1e-20))
    kept = means[loud >= -70.0]
    if not kept.size:
        return -np.inf
    relative = -0.691 + 10 * np.log10(kept.mean()) - 10.0
    kept = kept[-0.691 + 10 * np.log10(kept) >= relative]
    return float(-0.691 + 10 * np.log10(kept.mean()))


class MasteredStems(Mapping):
    """The stems as mastering left them: each one through the same high-pass, DC removal and
    gain curve as the mix, so they still sum to the mastered track. Computed when asked for."""

    def __init__(self, stems: dict[str, np.ndarray], gain: np.ndarray, rate: int, margin: int = 0) -> None:
        self._raw, self._gain, self._rate, self._margin, self._done = stems, gain, rate, margin, {}

    def __getitem__(self, role: str) -> np.ndarray:
        if role not in self._done:
            raw = self._raw[role]
            stem = _highpass(_wrapped(raw, self._margin).astype(np.float64), self._rate)
            stem -= stem.mean(axis=-1, keepdims=True)
            stem = stem[:, self._margin : self._margin + raw.shape[-1]]
            self._done[role] = (stem * self._gain[None, :]).astype(np.float32)
        return self._done[role]

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _wrapped(samples: np.ndarray, margin: int) -> np.ndarray:
    """`[C, N]` -> `[C, margin + N + margin]`: the loop's end before it and its start after it."""
    if not margin:
        return samples
    return np.concatenate([samples[:, -margin:], samples, samples[:, :margin]], axis=-1)


def _highpass(samples: np.ndarray, rate: int) -> np.ndarray:
    return sosfiltfilt(butter(2, 10.0, btype="highpass", fs=rate, output="sos"), samples, axis=-1)


def master(
    wave: Waveform, target_lufs: float = -14.0, loop: bool = False, gain_db: float | None = None
) -> tuple[Waveform, MasteringReport]:
    """wave `[C, N]` -> the mastered track and its report. A produced score's stems come along
    (`Waveform.stems`, a MasteredStems) and still sum to the track. `loop`: the wave repeats
    seamlessly and must still after mastering (see the module docstring). `gain_db`: a fixed
    gain instead of the loudness target (the pieces of a game kit take their track's gain, so
    they keep its levels), the limiter still keeping the peaks under the ceiling."""
    samples = wave.samples.astype(np.float64)
    rate, length = wave.sample_rate_hz, wave.samples.shape[-1]
    if not np.all(np.isfinite(samples)):
        raise GenerationFailed("The decoder produced invalid audio (NaN or infinite samples).")
    if np.abs(samples).max() < 1e-5:
        raise GenerationFailed("The decoder produced silence. Try another seed or description.")
    margin = min(length, int(LOOP_MARGIN_S * rate)) if loop else 0
    inner = slice(margin, margin + length)  # the track itself, inside the wrapped margins
    samples = _highpass(_wrapped(samples, margin), rate)
    samples -= samples.mean(axis=-1, keepdims=True)

    curve = np.ones(samples.shape[-1])  # every gain applied below, to replay on the stems
    faded = not loop and not ends_in_silence(samples, rate)
    if faded:  # the tail is still sounding: a short cosine fade lands it on silence
        n = min(samples.shape[-1] // 4, int(FADE_S * rate))
        curve[-n:] = 0.5 * (1 + np.cos(np.linspace(0, np.pi, n)))
        samples *= curve[None, :]

    # Limiting multiplies by a slowly varying gain, so the true peak of the result is the peak
    # envelope (oversampled once) times that gain, and its K-weighted power the power times the
    # gain squared: iterate gain and limiter without resampling or filtering again.
    ceiling = 10 ** (TRUE_PEAK_CEILING_DBTP / 20) * 0.97
    power = _k_weighted_power(samples, rate)
    start_lufs = _gated_loudness(power[inner], rate)
    if not np.isfinite(start_lufs):  # every block under the absolute gate: too quiet to measure
        raise GenerationFailed("The decoder produced silence. Try another seed or description.")
    peak = _held(_peak_envelope(samples), rate)
    makeup_db = target_lufs - start_lufs if gain_db is None else gain_db
    limited = False
    for _ in range(6 if gain_db is None else 1):
        makeup = 10 ** (makeup_db / 20)
        gain = makeup * _limiter_gain(peak * makeup, rate, ceiling)
        limited = bool(gain.min() < makeup)
        error_db = target_lufs - _gated_loudness((power * gain**2)[inner], rate)
        if abs(error_db) < 0.05 or not limited:
            break
        makeup_db += error_db
    samples = (samples * gain[None, :])[:, inner]
    curve = (curve * gain)[inner]
    measured_peak = true_peak_dbtp(samples, rate)
    if measured_peak > TRUE_PEAK_CEILING_DBTP:  # rare: inter-sample overshoot past the estimate
        trim = 10 ** ((TRUE_PEAK_CEILING_DBTP - 0.05 - measured_peak) / 20)
        samples *= trim
        curve *= trim
        measured_peak = true_peak_dbtp(samples, rate)
    loudness = integrated_loudness_lufs(samples, rate)
    report = MasteringReport(
        loudness_lufs=loudness,
        true_peak_dbtp=measured_peak,
        gain_db=loudness - start_lufs,
        limited=limited,
        faded=faded,
    )
    stems = MasteredStems(wave.stems, curve, rate, margin) if wave.stems else None
    loop_points = (0, length) if loop else None
    out = Waveform(samples.astype(np.float32), rate, stems=stems, notes=dict(wave.notes), loop_points=loop_points)
    return out, report
