"""A video in, the video with its soundtrack out: length to the frame, cuts on the beat, H.264 +
AAC, the original sound handled, bad videos refused plainly. All on videos made here."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from media import make_video

from mmgen import GenerationRequest, generate
from mmgen.encoders.text import load_descriptors
from mmgen.encoders.video import analyse_video, probe_video
from mmgen.errors import InvalidRequest
from mmgen.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parents[1]
SCENES_S = [2.4, 3.12, 1.92, 2.6, 3.0, 4.0]  # whole frames at 25 fps; cuts at 2.4 5.52 7.44 10.04 13.04


@pytest.fixture(scope="module")
def edit(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("video") / "edit.mp4", SCENES_S)


def cumulative(lengths):
    times, t = [], 0.0
    for length in lengths[:-1]:
        t += length
        times.append(round(t, 2))
    return times


def test_analysis_finds_the_cuts(edit):
    analysis = analyse_video(edit, load_descriptors())
    assert analysis.info.duration_s == pytest.approx(sum(SCENES_S), abs=0.041)
    assert analysis.cuts_s == pytest.approx(cumulative(SCENES_S), abs=0.041)
    assert analysis.speech is False and len(analysis.scenes) == len(SCENES_S)
    assert max(e for _, e in analysis.energy_s) > min(e for _, e in analysis.energy_s)


def test_soundtrack_fits_the_video(edit, tmp_path):
    track = generate(GenerationRequest(video_path=str(edit), seed=3))
    out = track.save(tmp_path / "scored.mp4")
    source, result = probe_video(edit), probe_video(out)
    assert abs(result.duration_s - source.duration_s) <= 1 / 25  # within one frame
    assert result.video_codec == "h264" and result.audio_codec == "aac"
    assert track.audio.duration_s == pytest.approx(source.duration_s, abs=1e-4)
    # Beats found by librosa's tracker on the music fall within 60 ms of every main cut.
    assert track.plan.cuts_s == pytest.approx(cumulative(SCENES_S), abs=0.041)
    assert max(track.details["measured"]["cut_to_nearest_beat_ms"]) <= 60
    assert ".mp4" in track.formats() and "cuts on a beat" in track.plan.reasons["tempo"]
    # Sections change at cuts, and the final chord rings out on the last frame.
    cut_bars = {track.plan.sections[i].start_bar for i in range(1, len(track.plan.sections))}
    assert cut_bars and track.plan.final_chord_s < track.plan.duration_s


def test_typed_cut_times_for_a_text_prompt():
    track = generate(GenerationRequest(prompt="upbeat pop", duration_s=16, cuts_s="3.1, 7.3, 11.9", seed=2))
    assert track.plan.cuts_s == [3.1, 7.3, 11.9]
    assert max(track.details["measured"]["cut_to_nearest_beat_ms"]) <= 60


def test_other_codecs_are_reencoded_and_speech_ducks_the_music(tmp_path):
    mpeg4 = make_video(tmp_path / "old.mp4", [3.0, 3.0], codec="mpeg4", audio="speech")
    assert probe_video(mpeg4).video_codec == "mpeg4"
    track = generate(GenerationRequest(video_path=str(mpeg4), seed=1))
    assert track.details["media"]["speech"] is True and track.video_audio == "duck"
    out = probe_video(track.save(tmp_path / "new.mp4"))
    assert out.video_codec == "h264" and out.audio_codec == "aac"


def test_rotated_variable_rate_and_silent_videos(tmp_path):
    rotated = make_video(tmp_path / "phone.mp4", [3.0, 3.0], audio=None)
    tagged = tmp_path / "phone-rotated.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-display_rotation", "90", "-i", str(rotated), "-c", "copy", str(tagged)],
        check=True,
    )
    assert probe_video(tagged).rotation in (90, 270) and probe_video(tagged).audio_codec is None
    track = generate(GenerationRequest(video_path=str(tagged), seed=1))
    assert probe_video(track.save(tmp_path / "out.mp4")).rotation in (90, 270)  # copied with its rotation
    cfr, vfr = make_video(tmp_path / "cfr.mp4", [3.0, 3.0]), tmp_path / "vfr.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-loglevel",
            "error",
            "-i",
            str(cfr),
            "-vf",
            "select='not(mod(n,3))+gt(t,4)'",
            "-fps_mode",
            "vfr",
            "-c:a",
            "copy",
            str(vfr),
        ],
        check=True,
    )  # every third frame until 4 s
    analysis = analyse_video(vfr, load_descriptors())
    assert analysis.cuts_s == pytest.approx([3.0], abs=0.13)


def test_bad_videos_get_plain_messages(edit, tmp_path):
    (tmp_path / "text.mp4").write_text("not a video")
    (tmp_path / "cut.mp4").write_bytes(edit.read_bytes()[: edit.stat().st_size // 3])
    make_video(tmp_path / "short.mp4", [1.0, 1.0])
    sound = tmp_path / "sound.m4a"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=6", str(sound)], check=True)
    subprocess.run(
        [
            ffmpeg_exe(),
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=size=64x36:rate=1:duration=601",
            "-c:v",
            "libx264",
            str(tmp_path / "long.mp4"),
        ],
        check=True,
    )
    cases = {
        "long.mp4": "trim it to 10 minutes",
        "text.mp4": "not a video",
        "cut.mp4": "damaged or cut short|can't tell how long|could not decode",
        "short.mp4": "at least 5 s",
        "sound.m4a": "a sound file, not a video",
        "missing.mp4": "can't find",
    }
    for name, message in cases.items():
        with pytest.raises(InvalidRequest, match=message):
            generate(GenerationRequest(video_path=str(tmp_path / name)))


def test_cli_scores_a_video(edit, tmp_path):
    out = tmp_path / "cli.mp4"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmgen",
            "generate",
            "--video",
            str(edit),
            "--out",
            str(out),
            "--seed",
            "5",
            "--video-audio",
            "mix",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )
    assert result.returncode == 0, result.stderr
    assert abs(probe_video(out).duration_s - probe_video(edit).duration_s) <= 1 / 25
    refused = subprocess.run(
        [sys.executable, "-m", "mmgen", "generate", "--duration", "10", "--out", str(tmp_path / "x.mp4")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "needs a video" in refused.stderr
