"""Mastering on signals whose answers are known."""

import numpy as np
import pytest

from mmgen.codecs.base import Waveform
from mmgen.errors import GenerationFailed
from mmgen.eval import metrics
from mmgen.post.master import master

RATE = 44100


def tone(seconds=6.0, amplitude=0.1, dc=0.0, decay=False):
    t = np.arange(int(seconds * RATE)) / RATE
    x = amplitude * np.sin(2 * np.pi * 220 * t) + dc
    if decay:
        x *= np.exp(-t * 3)
    return Waveform(np.stack([x, 0.8 * x]).astype(np.float32), RATE)


def test_quiet_tone_is_raised_to_target_with_dc_removed():
    out, report = master(tone(amplitude=0.01, dc=0.2), -14.0)
    assert report.loudness_lufs == pytest.approx(-14.0, abs=0.2)
    assert metrics.dc_offset(out.samples) < 1e-3
    assert out.samples.shape == (2, 6 * RATE)


def test_peaky_signal_is_limited_to_minus_one_dbtp():
    wave = tone(amplitude=0.05)
    wave.samples[:, :: RATE // 4] = 0.9  # sharp clicks far above the body of the sound
    out, report = master(wave, -10.0)
    assert report.limited
    assert metrics.true_peak_dbtp(out.samples, RATE) <= -1.0 + 0.05
    assert metrics.integrated_loudness_lufs(out.samples, RATE) == pytest.approx(-10.0, abs=1.0)


def test_fade_only_when_the_ending_still_sounds():
    _, sustained = master(tone(), -14.0)
    _, decayed = master(tone(decay=True), -14.0)
    assert sustained.faded and not decayed.faded


def test_silence_and_nan_are_refused():
    with pytest.raises(GenerationFailed, match="silence"):
        master(Waveform(np.zeros((2, RATE), np.float32), RATE))
    bad = tone()
    bad.samples[0, 100] = np.nan
    with pytest.raises(GenerationFailed, match="NaN"):
        master(bad)
