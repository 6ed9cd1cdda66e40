"""Conforming audio to the plan (mmgen/post/conform.py), on real music whose true beats are known:
the composer's renders, made on purpose at the wrong tempo, drifting, or in the wrong key. Each
result is measured by the beat tracker, and the composer's true beats are followed through the
time map conforming used, so the figures do not rest on the tracker alone."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from mmgen import registry
from mmgen.codecs.base import Waveform
from mmgen.eval import metrics
from mmgen.eval.rhythm import tracker_name
from mmgen.music import Key
from mmgen.pipeline import make_plan
from mmgen.post.conform import conform, key_shift
from mmgen.post.stretch import time_map_missing
from mmgen.request import GenerationRequest

pytestmark = pytest.mark.skipif(time_map_missing() is not None, reason="needs rubberband-cli (packages.txt)")

RATE = 44100
PROMPT = "upbeat pop with drums"
CUTS = [4.1, 9.3, 13.7]


def render(plan, seed: int = 3) -> Waveform:
    """The composer's piece for `plan`, played by the studio."""
    tokens = registry.get("decoder", "composer").decode_many([plan], [seed])[0]
    return registry.get("codec", "studio").decode(tokens)


def true_beats(plan) -> np.ndarray:
    return np.array([plan.beat_time(k) for k in range(int(plan.final_chord_beat) + 1)])


def through_map(times: np.ndarray, time_map: list[tuple[float, float]]) -> np.ndarray:
    source, target = np.array(time_map).T
    return np.interp(times, source, target)


def max_jump(samples: np.ndarray) -> float:
    return float(np.abs(np.diff(samples, axis=1)).max())


@pytest.fixture(scope="module")
def slow_render():
    """A 24 s piece rendered at 96 BPM: the engine's take, 8 % slower than the plan wants."""
    plan = make_plan(GenerationRequest(prompt=PROMPT, duration_s=24, tempo_bpm=96, seed=3))
    return plan, render(plan)


@pytest.fixture(scope="module")
def target():
    """The plan to land on: 104 BPM, 20 s, three cuts."""
    return make_plan(GenerationRequest(prompt=PROMPT, duration_s=20, tempo_bpm=104, seed=3, cuts_s=CUTS))


@pytest.fixture(scope="module")
def conformed(slow_render, target):
    return conform(slow_render[1], target)


def test_a_slow_take_lands_on_the_plans_grid_and_cuts(slow_render, target, conformed):
    source_plan, _source = slow_render
    wave, report = conformed
    assert report.applied and not report.notes
    assert wave.samples.shape == (2, round(20 * RATE))  # exact to the sample
    after = report.after
    assert after["beat_to_grid_ms"]["p90"] <= 30 < report.before["beat_to_grid_ms"]["p90"]
    assert after["downbeat_to_bar_ms"] <= 30
    assert all(d is not None and d <= 30 for d in after["cut_to_beat_ms"])
    assert abs(after["tempo_bpm"] - 104) <= 1.5
    # The composer's true beats, followed through the map, land on the plan's beats.
    moved = through_map(true_beats(source_plan), report.time_map_s)
    grid = true_beats(target)
    errors = np.abs(moved[:, None] - grid[None, :]).min(axis=1)[moved <= target.final_chord_s]
    assert np.percentile(errors, 90) <= 0.03
    assert report.ends_at_s == pytest.approx(target.final_chord_s, abs=1e-3)


def test_a_conformed_take_has_no_clicks_and_keeps_its_loudness(slow_render, conformed):
    _, source = slow_render
    wave, _ = conformed
    assert max_jump(wave.samples) <= 1.2 * max_jump(source.samples)
    body = slice(0, round(17 * RATE))  # the loudness of the music, its ring aside
    before = metrics.integrated_loudness_lufs(source.samples[:, body], RATE)
    after = metrics.integrated_loudness_lufs(wave.samples[:, body], RATE)
    assert abs(after - before) <= 1.0


def test_the_ending_rings_out_from_the_final_downbeat(target, conformed):
    wave, report = conformed
    final = round(report.ends_at_s * RATE)
    ring = wave.samples[:, final:]
    assert np.abs(ring[:, : RATE // 10]).max() > 0.05  # the last chord sounds
    quarter = ring.shape[1] // 4
    levels = [metrics.rms_dbfs(ring[:, i * quarter : (i + 1) * quarter]) for i in range(4)]
    assert levels == sorted(levels, reverse=True)  # and decays, not cut off
    assert levels[-1] < levels[0] - 20
    assert np.abs(wave.samples[:, -10:]).max() < 1e-3  # to silence at the last sample


def test_a_drifting_take_comes_out_on_a_constant_grid():
    """A 30 s render whose tempo rises 6 % from start to end, conformed to the steady plan."""
    steady = make_plan(GenerationRequest(prompt=PROMPT, duration_s=30, tempo_bpm=100, seed=5))
    bars = steady.total_bars
    bpb = steady.meter.beats_per_bar
    start_s, end_s = 60 / 97, 60 / 103  # the beat length at the start and at the end
    pins, now = [], 0.0
    for beat in range(1, bars * bpb + 1):
        now += start_s + (end_s - start_s) * beat / (bars * bpb)
        if beat % bpb == 0:
            pins.append((float(beat - steady.pickup_offset_beats), now))
    drifting = replace(steady, tempo_pins=pins, duration_s=pins[-1][1] + 3.0)
    wave, report = conform(render(drifting, seed=5), steady)
    assert report.applied
    assert report.tempo_change_pct[1] - report.tempo_change_pct[0] >= 4  # it bent early and late beats apart
    assert report.before["beat_to_grid_ms"]["p90"] > 60
    assert report.after["beat_to_grid_ms"]["p90"] <= 30
    moved = through_map(true_beats(drifting), report.time_map_s)
    grid = true_beats(steady)
    inside = moved <= steady.final_chord_s
    assert np.percentile(np.abs(moved[inside, None] - grid[None, :]).min(axis=1), 90) <= 0.03
    assert wave.samples.shape[1] == round(30 * RATE)


def test_a_take_a_semitone_sharp_is_shifted_back_to_the_plans_key():
    plan = make_plan(GenerationRequest(prompt="warm piano ballad", duration_s=16, tempo_bpm=90, key="C major", seed=2))
    sharp = render(replace(plan, key=Key(1, "major")), seed=2)
    _wave, report = conform(sharp, plan, fix_key="on")
    assert report.before["key"] == "D♭ major" or report.before["key"].startswith(("C#", "Db", "D♭"))
    assert report.key_shift_semitones == -1
    assert report.after["key"] == "C major"
    _, kept = conform(sharp, plan, fix_key="off")
    assert kept.key_shift_semitones == 0 and kept.after["key"] != "C major"


@pytest.mark.parametrize(
    ("found", "planned", "shift"),
    [
        (Key(1, "major"), Key(0, "major"), -1),
        (Key(9, "minor"), Key(0, "major"), 0),  # the relative minor shares the notes
        (Key(11, "minor"), Key(0, "major"), -2),  # B minor -> A minor, C major's relative
        (Key(2, "major"), Key(0, "major"), -2),
        (Key(11, "major"), Key(0, "major"), 1),
    ],
)
def test_the_key_shift_is_the_smallest_to_the_key_or_its_relative(found, planned, shift):
    assert key_shift(found, planned) == shift


def test_a_take_too_far_from_the_tempo_keeps_its_timing_and_says_so(target):
    plan = make_plan(GenerationRequest(prompt=PROMPT, duration_s=24, tempo_bpm=80, seed=3))
    wave, report = conform(render(plan), target)
    assert not report.applied
    assert any("left as it is" in note and "80 BPM" in note for note in report.notes)
    assert wave.samples.shape == (2, round(20 * RATE))
    assert np.abs(wave.samples[:, -10:]).max() < 1e-3  # still an ending, at its own downbeat


def test_without_rubber_band_a_take_keeps_its_timing_and_says_why(slow_render, target, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no rubberband here
    wave, report = conform(slow_render[1], target)
    assert not report.applied and any("rubberband-cli" in note for note in report.notes)
    assert wave.samples.shape == (2, round(20 * RATE))


@pytest.mark.parametrize("kind", ["silence", "one beat", "noise"])
def test_nothing_crashes_on_audio_without_a_beat(target, kind):
    rng = np.random.default_rng(0)
    n = round(12 * RATE)
    samples = np.zeros((2, n), np.float32)
    if kind == "one beat":
        samples[:, RATE : RATE + 2000] = np.sin(np.arange(2000) * 0.2) * np.hanning(2000) * 0.8
    elif kind == "noise":
        samples = (0.2 * rng.standard_normal((2, n))).astype(np.float32)
    wave, report = conform(Waveform(samples, RATE), target)
    assert wave.samples.shape == (2, round(20 * RATE))
    assert np.all(np.isfinite(wave.samples))
    json.dumps(report.to_dict())  # the report is plain data
    if kind != "noise":
        assert not report.applied and report.notes


@pytest.mark.skipif(tracker_name() != "madmom", reason="madmom's beat ensemble finds a slow song's own tempo")
def test_a_slow_ballad_is_fitted_at_its_own_tempo_not_double(tmp_path):
    """Told nothing, the downbeat network counts this 72 BPM ballad at 143; the fit does not."""
    import soundfile

    from mmgen.fit import fit_track

    plan = make_plan(GenerationRequest(prompt="slow piano ballad", duration_s=24, tempo_bpm=72, seed=3))
    source = tmp_path / "ballad.wav"
    soundfile.write(source, render(plan).samples.T, RATE)
    track = fit_track(source, cuts_s="6.7,13.3")
    assert track.plan.tempo_bpm == pytest.approx(72, rel=0.03)
    figures = track.details["conformed"]
    assert figures["applied"] and all(d <= 30 for d in figures["after"]["cut_to_beat_ms"])


def test_the_cli_fits_a_track_to_cuts_and_writes_its_report(tmp_path, slow_render, capsys):
    import soundfile

    from mmgen.cli import main

    source = tmp_path / "mine.wav"
    soundfile.write(source, slow_render[1].samples.T, RATE)
    out, report = tmp_path / "fitted.flac", tmp_path / "fitted.json"
    assert (
        main(
            [
                "conform",
                str(source),
                "--out",
                str(out),
                "--cuts",
                "3.3,8.1",
                "--duration",
                "20",
                "--report",
                str(report),
            ]
        )
        == 0
    )
    data, rate = soundfile.read(out)
    assert rate == RATE and data.shape[0] == 20 * RATE
    figures = json.loads(report.read_text())["conformed"]
    assert figures["applied"] and all(d <= 30 for d in figures["after"]["cut_to_beat_ms"])
    assert abs(figures["after"]["tempo_bpm"] - figures["before"]["tempo_bpm"]) <= 5  # its own tempo, kept
    assert "cuts to the nearest beat" in capsys.readouterr().out
    # Too long to stretch to: one plain line and a usage exit, nothing written.
    assert main(["conform", str(source), "--out", str(tmp_path / "long.wav"), "--duration", "60"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("mmgen: The track is 24.0 s long") and "\n" not in error
    assert not (tmp_path / "long.wav").exists()
