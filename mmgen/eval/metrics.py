"""Measurements of rendered audio, used by tests, reports and benchmarks.

Audio arrays are float `[C, N]` (channels, samples) or mono `[N]`.
"""

from __future__ import annotations

import numpy as np

from ..music import Key

# Krumhansl-Kessler key profiles (probe-tone ratings), C major / C minor.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def _mono(samples: np.ndarray) -> np.ndarray:
    return samples if samples.ndim == 1 else samples.mean(axis=0)


def duration_s(samples: np.ndarray, rate: int) -> float:
    return samples.shape[-1] / rate


def integrated_loudness_lufs(samples: np.ndarray, rate: int) -> float:
    """ITU-R BS.1770-4 integrated loudness (pyloudnorm); -inf for silence."""
    import pyloudnorm

    data = samples.T if samples.ndim == 2 else samples  # pyloudnorm wants [N, C]
    return float(pyloudnorm.Meter(rate).integrated_loudness(np.asarray(data, dtype=np.float64)))


def true_peak_dbtp(samples: np.ndarray, rate: int) -> float:
    """Peak of the 4x oversampled signal (BS.1770 true-peak approximation), in dBTP."""
    from scipy.signal import resample_poly

    peak = float(np.abs(resample_poly(np.atleast_2d(samples).astype(np.float32), 4, 1, axis=-1)).max())
    return 20 * np.log10(max(peak, 1e-12))


def clipped_fraction(samples: np.ndarray, threshold: float = 0.999) -> float:
    return float((np.abs(samples) >= threshold).mean())


def dc_offset(samples: np.ndarray) -> float:
    return float(np.abs(np.atleast_2d(samples).mean(axis=-1)).max())


def rms_dbfs(samples: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(np.square(samples)))), 1e-12))


def tempo_bpm(samples: np.ndarray, rate: int) -> float:
    """Global tempo from librosa's onset-strength beat tracker."""
    import librosa

    y = librosa.resample(_mono(samples).astype(np.float32), orig_sr=rate, target_sr=22050)
    tempo, _ = librosa.beat.beat_track(y=y, sr=22050)
    return float(np.atleast_1d(tempo)[0])


def beat_times(samples: np.ndarray, rate: int) -> np.ndarray:
    """Beat times in seconds found by librosa's beat tracker (hop 256 at 22.05 kHz: 12 ms)."""
    import librosa

    y = librosa.resample(_mono(samples).astype(np.float32), orig_sr=rate, target_sr=22050)
    _, beats = librosa.beat.beat_track(y=y, sr=22050, hop_length=256, units="time", trim=False)
    return np.asarray(beats, dtype=float)


def onset_times(samples: np.ndarray, rate: int) -> np.ndarray:
    """Note onsets in seconds (librosa, backtracked to the start of each attack)."""
    import librosa

    y = librosa.resample(_mono(samples).astype(np.float32), orig_sr=rate, target_sr=22050)
    return np.asarray(librosa.onset.onset_detect(y=y, sr=22050, hop_length=128, units="time", backtrack=True))


def cut_to_beat_s(cuts_s: list[float], beats_s: np.ndarray) -> list[float]:
    """For each cut, the distance in seconds to the nearest measured beat (inf when none)."""
    if len(beats_s) == 0:
        return [float("inf")] * len(cuts_s)
    return [float(np.min(np.abs(beats_s - cut))) for cut in cuts_s]


def tempo_matches(measured: float, planned: float, tolerance: float = 0.03) -> bool:
    """Within tolerance of the planned tempo, or of its half or double (beat trackers often
    lock onto the half-note or eighth-note pulse)."""
    return any(abs(measured / (planned * f) - 1) <= tolerance for f in (1, 0.5, 2))


def estimate_key(samples: np.ndarray, rate: int) -> tuple[Key, float]:
    """Key from the mean constant-Q chromagram correlated with the 24 Krumhansl-Kessler profiles.
    Returns (key, correlation)."""
    import librosa

    y = librosa.resample(_mono(samples).astype(np.float32), orig_sr=rate, target_sr=22050)
    return key_of_pitch_classes(librosa.feature.chroma_cqt(y=y, sr=22050).mean(axis=1))


def key_of_pitch_classes(weights: np.ndarray) -> tuple[Key, float]:
    """The key whose Krumhansl-Kessler profile correlates best with pitch-class weights [12]
    (chroma energy, or note durations). Returns (key, correlation)."""
    best, best_r = Key(0, "major"), -2.0
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(weights, np.roll(profile, tonic))[0, 1])
            if r > best_r:
                best, best_r = Key(tonic, mode), r
    return best, best_r


def key_matches(found: Key, planned: Key, allow_relative: bool = False) -> bool:
    if found == planned:
        return True
    if allow_relative and found.mode != planned.mode:
        shift = 9 if planned.mode == "major" else 3  # relative minor / major
        return found.tonic_pc == (planned.tonic_pc + shift) % 12
    return False


def decay_time_s(samples: np.ndarray, rate: int, start_s: float = 0.0) -> float:
    """Reverberation time (RT60) of the sound after `start_s`: Schroeder's backward-integrated
    energy, its fall from -5 to -25 dB fitted by a line and extended to 60 dB (T20).
    inf when the sound never falls 25 dB."""
    energy = _mono(samples)[int(start_s * rate) :].astype(np.float64) ** 2
    decay = np.cumsum(energy[::-1])[::-1]
    if decay[0] <= 0:
        return float("inf")
    level = 10 * np.log10(np.maximum(decay / decay[0], 1e-30))
    span = np.nonzero((level <= -5.0) & (level >= -25.0))[0]
    if span.size < 2 or level[-1] > -25.0:
        return float("inf")
    slope = np.polyfit(span / rate, level[span], 1)[0]  # dB per second
    return float(-60.0 / slope) if slope < 0 else float("inf")


def describe(samples: np.ndarray, rate: int) -> dict:
    """All measurements at once, for reports."""
    key, corr = estimate_key(samples, rate)
    return {
        "duration_s": round(duration_s(samples, rate), 4),
        "loudness_lufs": round(integrated_loudness_lufs(samples, rate), 2),
        "true_peak_dbtp": round(true_peak_dbtp(samples, rate), 2),
        "tempo_bpm": round(tempo_bpm(samples, rate), 2),
        "key": key.name,
        "key_correlation": round(corr, 3),
        "clipped_fraction": clipped_fraction(samples),
        "dc_offset": dc_offset(samples),
    }


__all__ = [
    "clipped_fraction",
    "dc_offset",
    "decay_time_s",
    "describe",
    "duration_s",
    "estimate_key",
    "integrated_loudness_lufs",
    "key_matches",
    "rms_dbfs",
    "tempo_bpm",
    "tempo_matches",
    "true_peak_dbtp",
]


def score_statistics(tokens) -> dict:
    """What a score take is, in numbers the reward model reads (ScoreTokens): the melody's
    stepwise share, range (octaves) and notes per beat, all parts' notes per beat, drum hits per
    beat and the mean velocity (0..1)."""
    beats = max(1.0, max((n.start_beat + n.duration_beats for p in tokens.parts for n in p.notes), default=1.0))
    melody = sorted((n for p in tokens.parts if p.name == "melody" for n in p.notes), key=lambda n: n.start_beat)
    pitched = [n for p in tokens.parts if not p.is_drum for n in p.notes]
    drums = [n for p in tokens.parts if p.is_drum for n in p.notes]
    stats = {
        "notes_per_beat": round(len(pitched) / beats, 4),
        "drum_hits_per_beat": round(len(drums) / beats, 4),
        "velocity": round(float(np.mean([n.velocity for n in pitched])) / 127, 4) if pitched else 0.0,
    }
    if len(melody) >= 2:
        moves = np.abs(np.diff([n.pitch for n in melody]))
        stats |= {
            "melody_stepwise": round(float(np.mean(moves <= 2)), 4),
            "melody_range": round((max(n.pitch for n in melody) - min(n.pitch for n in melody)) / 24, 4),
            "melody_per_beat": round(len(melody) / beats, 4),
        }
    return stats
