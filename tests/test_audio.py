"""Rendered, mastered audio measured with mmgen.eval: length, tempo, key, loudness, peaks."""

import numpy as np
import pytest

from mmgen.eval import metrics

# (prompt, overrides): rhythmic styles with the tempo left to the planner, plus explicit tempos.
TEMPO_CASES = [
    ("chill lofi hip hop beat", {}),
    ("upbeat pop for a vlog", {}),
    ("drum and bass", {}),
    ("rock anthem", {}),
    ("house music party", {}),
    ("funky groove", {}),
    ("acoustic folk song", {"tempo_bpm": 100}),
    ("epic orchestral trailer", {"tempo_bpm": 90}),
    ("an elegant waltz", {}),
    ("gentle solo piano piece", {"tempo_bpm": 80}),
]
KEY_CASES = [
    ("lofi beat", "D minor"),
    ("pop song", "G major"),
    ("gentle solo piano piece", "Eb major"),
    ("an elegant waltz", "A major"),
    ("epic orchestral trailer", "C minor"),
    ("folk song", "E major"),
    ("calm ambient music", "F major"),
    ("8-bit retro game", "B minor"),
]


@pytest.mark.parametrize("prompt, overrides", TEMPO_CASES)
def test_tempo_is_audible(make_track, prompt, overrides):
    track = make_track(prompt, 30, **overrides)
    measured = metrics.tempo_bpm(track.audio.samples, track.audio.sample_rate_hz)
    assert metrics.tempo_matches(measured, track.plan.tempo_bpm), (measured, track.plan.tempo_bpm)


def test_key_is_audible(make_track):
    hits = []
    for prompt, key in KEY_CASES:
        track = make_track(prompt, 30, key=key)
        found, _ = metrics.estimate_key(track.audio.samples, track.audio.sample_rate_hz)
        hits.append(metrics.key_matches(found, track.plan.key))
    assert sum(hits) >= 0.75 * len(hits), hits


@pytest.mark.parametrize("duration_s", [5, 13.37, 30])
def test_exact_duration_and_mastering(make_track, duration_s):
    track = make_track("upbeat pop for a vlog", duration_s)
    samples, rate = track.audio.samples, track.audio.sample_rate_hz
    assert rate == 44100 and samples.shape[0] == 2
    assert abs(metrics.duration_s(samples, rate) - duration_s) <= 0.010
    assert abs(metrics.integrated_loudness_lufs(samples, rate) - (-14.0)) <= 1.0
    assert metrics.true_peak_dbtp(samples, rate) <= -1.0 + 0.05
    assert metrics.clipped_fraction(samples) == 0.0
    assert metrics.dc_offset(samples) < 1e-3
    assert metrics.rms_dbfs(samples) > -40  # not silent
    assert track.report()["output"]["loudness_lufs"] == pytest.approx(-14.0, abs=1.0)


def test_ending_decays_instead_of_being_cut(make_track):
    track = make_track("gentle solo piano piece", 20)
    samples, rate = track.audio.samples, track.audio.sample_rate_hz
    tail = samples[:, -int(0.05 * rate) :]
    assert metrics.rms_dbfs(tail) < metrics.rms_dbfs(samples) - 30


def test_same_seed_same_audio_different_seed_different_audio(make_track):
    a = make_track("lofi beat", 10, seed=11).audio.samples
    b = make_track("lofi beat", 10, seed=11).audio.samples
    from mmgen import GenerationRequest, generate

    again = generate(GenerationRequest(prompt="lofi beat", duration_s=10, seed=11)).audio.samples
    other = generate(GenerationRequest(prompt="lofi beat", duration_s=10, seed=12)).audio.samples
    assert a is b and np.array_equal(a, again)
    assert not np.allclose(a, other, atol=1e-3)


def test_custom_loudness_target():
    from mmgen import GenerationRequest, generate

    track = generate(GenerationRequest(prompt="rock", duration_s=10, seed=1, loudness_lufs=-23))
    assert metrics.integrated_loudness_lufs(track.audio.samples, 44100) == pytest.approx(-23, abs=1.0)


def test_bundled_soundfont_end_to_end(monkeypatch):
    """The pip-only path (TimGM6mb from the pretty_midi wheel), whatever else is installed."""
    from mmgen import GenerationRequest, generate
    from mmgen.codecs.soundfont import _bundled_soundfont

    monkeypatch.setenv("MMGEN_SOUNDFONT", str(_bundled_soundfont()))
    track = generate(GenerationRequest(prompt="house music party", duration_s=15, seed=2))
    x, rate = track.audio.samples, track.audio.sample_rate_hz
    assert track.details["soundfont"] == "TimGM6mb.sf2"
    assert x.shape[1] == 15 * rate
    assert abs(metrics.integrated_loudness_lufs(x, rate) + 14) <= 1.0
    assert metrics.tempo_matches(metrics.tempo_bpm(x, rate), track.plan.tempo_bpm)
