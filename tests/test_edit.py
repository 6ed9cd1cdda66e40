"""Restyling a composed track and editing a finished one with the diffusion engines (tiny random
pipelines of the real classes): what was not asked to change stays the track's own, bit for bit."""

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from mmgen import GenerationRequest, generate
from mmgen.edit import make_longer, redo_part, save_stems, splice, split_stems, track_from_file
from mmgen.errors import InvalidRequest

RATE = 44100


@pytest.fixture
def composed(diffusion_engines):
    """A composed track of 8 s, with cuts to hit, restyled by ACE-Step."""
    return generate(GenerationRequest(prompt="lofi beat for a cooking video", duration_s=8, seed=2, cuts_s="3.1, 6"))


def test_restyle_hands_the_composers_render_to_the_engine(diffusion_engines, monkeypatch):
    from mmgen.decoders.diffusion.ace_step import AceStepDecoder

    handed = []
    original = AceStepDecoder.cover

    def recording(self, pipe, plan, audio, keep, generator, on_step):
        handed.append((plan, audio, keep))
        return original(self, pipe, plan, audio, keep, generator, on_step)

    monkeypatch.setattr(AceStepDecoder, "cover", recording)
    request = GenerationRequest(prompt="lofi beat", duration_s=8, seed=2, cuts_s="3.1, 6", restyle="ace-step")
    track = generate(request)
    composed = generate(GenerationRequest(prompt="lofi beat", duration_s=8, seed=2, cuts_s="3.1, 6"))
    (plan, audio, keep), *_ = handed
    assert plan.to_dict() == composed.plan.to_dict() and keep == pytest.approx(0.6)
    # The render of the same plan (before mastering), at the VAE's rate, is what the engine got.
    assert audio.shape[0] == 2 and audio.shape[1] == pytest.approx(8 * 1600, abs=2)
    assert track.tokens.kind == "score" and ".mid" in track.formats()  # the score is still the plan's
    assert track.audio.duration_s == pytest.approx(8.0, abs=1e-4)
    report = track.report()
    assert report["restyled"]["engine"] == "ace-step" and report["licence"].startswith("MIT")
    aimed = [cut for cut in track.plan.cuts_s if cut < track.plan.final_chord_s - 0.01]
    assert aimed and len(report["measured"]["cut_to_nearest_beat_ms"]) == len(aimed)  # measured on the result
    assert {"render", "restyle"} <= set(track.timings_s)


def test_restyle_needs_a_score_engine_and_a_diffusion_one(diffusion_engines):
    with pytest.raises(InvalidRequest, match="cannot restyle"):
        generate(GenerationRequest(prompt="pop", duration_s=5, restyle="symbolic-lstm"))
    with pytest.raises(InvalidRequest, match="score engine"):
        generate(GenerationRequest(prompt="pop", duration_s=5, decoder="ace-step", restyle="stable-audio-3"))
    with pytest.raises(InvalidRequest, match="restyle closeness"):
        generate(GenerationRequest(prompt="pop", duration_s=5, restyle="ace-step", restyle_keep=0))


@pytest.mark.parametrize("engine", ["ace-step", "stable-audio-3"])
def test_redo_part_keeps_everything_outside_it(composed, engine):
    redone = redo_part(composed, 2.0, 5.0, engine=engine, seed=1)
    before, after = composed.audio.samples, redone.audio.samples
    start, end = 2 * RATE, 5 * RATE
    assert after.shape == before.shape
    np.testing.assert_array_equal(after[:, :start], before[:, :start])
    np.testing.assert_array_equal(after[:, end:], before[:, end:])
    assert not np.array_equal(after[:, start:end], before[:, start:end])
    assert np.abs(after).max() <= 10 ** (-1 / 20) + 1e-6
    edit = redone.report()["edits"][-1]
    assert edit["edit"] == "redo" and edit["start_s"] == 2.0 and edit["redone_s"] == [2.0, 5.0]


@pytest.mark.parametrize("engine", ["ace-step", "stable-audio-3"])
def test_make_longer_keeps_the_start_and_lands_on_the_new_length(composed, engine):
    longer = make_longer(composed, 13.5, engine=engine, seed=1)
    kept = round(6.0 * RATE)  # 2 s before the old end
    assert longer.audio.samples.shape == (2, round(13.5 * RATE))
    np.testing.assert_array_equal(longer.audio.samples[:, :kept], composed.audio.samples[:, :kept])
    assert np.abs(longer.audio.samples[:, 9 * RATE :]).max() > 0  # new music where there was none
    assert longer.plan.duration_s == pytest.approx(13.5) and longer.report()["edits"][-1]["edit"] == "longer"


def test_split_stems_sum_to_the_track(composed, tmp_path):
    stems = split_stems(composed, seed=3)
    assert list(stems) == ["vocals", "drums", "bass", "other"]
    assert all(w.samples.shape == composed.audio.samples.shape for w in stems.values())
    np.testing.assert_allclose(sum(w.samples for w in stems.values()), composed.audio.samples, atol=1e-5)
    written = save_stems(stems, tmp_path / "stems")
    assert [p.name for p in written] == ["vocals.wav", "drums.wav", "bass.wav", "other.wav"]
    assert sf.info(written[0]).duration == pytest.approx(8.0, abs=1e-3)
    with pytest.raises(InvalidRequest, match="cannot split"):
        split_stems(composed, engine="stable-audio-3")


def test_an_uploaded_track_can_be_edited(diffusion_engines, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mine.wav"
    sf.write(path, (0.2 * rng.standard_normal((6 * 22050, 2))).astype(np.float32), 22050)
    track = track_from_file(path, prompt="ambient")
    assert track.audio.samples.shape == (2, 6 * RATE) and track.plan.duration_s == pytest.approx(6.0)
    redone = redo_part(track, 1.0, 3.0, seed=2)
    np.testing.assert_array_equal(redone.audio.samples[:, 3 * RATE :], track.audio.samples[:, 3 * RATE :])
    assert redone.formats() == [".wav", ".mp3", ".flac"]
    sf.write(tmp_path / "short.wav", np.zeros((22050, 2), np.float32) + 0.1, 22050)
    with pytest.raises(InvalidRequest, match="at least 5 s"):
        track_from_file(tmp_path / "short.wav")


def test_bad_edits_are_refused_before_any_work(composed):
    for start, end, message in ((5, 2, "inside the track"), (0, 30, "inside the track"), (2, 2.5, "at least 1")):
        with pytest.raises(InvalidRequest, match=message):
            redo_part(composed, start, end)
    with pytest.raises(InvalidRequest, match="at least 1 s longer"):
        make_longer(composed, 8.5)
    with pytest.raises(InvalidRequest, match="cannot edit audio"):
        redo_part(composed, 1, 3, engine="composer")
    with pytest.raises(InvalidRequest, match="seed"):
        redo_part(composed, 1, 3, seed="x")


def test_splice_fades_inside_the_range_only():
    original = np.ones((2, 100), np.float32) * 0.5
    new = -np.ones((2, 100), np.float32) * 0.5
    out = splice(original, new, 20, 60, 5)
    np.testing.assert_array_equal(out[:, :20], original[:, :20])
    np.testing.assert_array_equal(out[:, 60:], original[:, 60:])
    np.testing.assert_allclose(out[:, 30:50], -0.5)  # level-matched: the same loudness as what it replaced
    assert 0.5 > out[0, 21] > out[0, 24] > -0.5


def run_edit(*args, folders):
    env = dict(os.environ, HF_HUB_OFFLINE="1", MMGEN_ACE_STEP_PATH=str(folders["ace-step"]))
    command = [sys.executable, "-m", "mmgen", "edit", *map(str, args)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_the_command_line_edits_a_file(diffusion_folders, tmp_path):
    source = tmp_path / "song.wav"
    rng = np.random.default_rng(1)
    sf.write(source, (0.2 * rng.standard_normal((7 * RATE, 2))).astype(np.float32), RATE)
    out = tmp_path / "redone.wav"
    done = run_edit("--in", source, "--redo", 2, 4, "--out", out, "--seed", 5, folders=diffusion_folders)
    assert done.returncode == 0, done.stderr
    assert "MIT" in done.stdout and sf.info(out).duration == pytest.approx(7.0, abs=1e-3)
    edited, original = sf.read(out)[0], sf.read(source)[0]
    np.testing.assert_array_equal(edited[4 * RATE :], original[4 * RATE :].astype(np.float32).astype(edited.dtype))
    stems = run_edit("--in", source, "--stems", tmp_path / "parts", folders=diffusion_folders)
    assert stems.returncode == 0, stems.stderr
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == [
        "bass.wav",
        "drums.wav",
        "other.wav",
        "vocals.wav",
    ]
    for args, message in (
        (("--in", source, "--redo", 2, 4), "--out"),
        (("--in", source, "--longer", 6, "--out", tmp_path / "x.wav"), "at least 1 s longer"),
        (("--in", tmp_path / "none.wav", "--longer", 20, "--out", tmp_path / "x.wav"), "none.wav"),
    ):
        failed = run_edit(*args, folders=diffusion_folders)
        assert failed.returncode == 2 and "Traceback" not in failed.stderr
        (line,) = failed.stderr.strip().splitlines()
        assert message in line
    assert not (tmp_path / "x.wav").exists()


def test_an_uploaded_tracks_own_tempo_and_key_are_what_the_engine_is_told(tmp_path):
    made = generate(GenerationRequest(prompt="upbeat pop", duration_s=12, tempo_bpm=120, key="D major", seed=1))
    made.save(tmp_path / "made.wav")
    track = track_from_file(tmp_path / "made.wav", prompt="upbeat pop")
    assert min(abs(track.plan.tempo_bpm - t) for t in (60, 120, 240)) < 3
    assert track.plan.key.name in ("D major", "B minor")
