"""The command line, end to end in a subprocess, including its error messages."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run(
        [sys.executable, "-m", "mmgen", *args], cwd=cwd or ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_generate_wav_with_report(tmp_path):
    out, report = tmp_path / "cooking.wav", tmp_path / "cooking.json"
    result = run(
        "generate",
        "--prompt",
        "lofi beat for a cooking video",
        "--duration",
        "8",
        "--bpm",
        "84",
        "--key",
        "D minor",
        "--seed",
        "5",
        "--out",
        str(out),
        "--report",
        str(report),
    )
    assert result.returncode == 0, result.stderr
    info = sf.info(str(out))
    assert info.samplerate == 44100 and info.channels == 2
    assert abs(info.frames / 44100 - 8.0) <= 0.01
    data = json.loads(report.read_text())
    assert data["seed"] == 5 and data["decoder"] == "composer"
    assert data["plan"]["tempo_bpm"] == 84 and data["plan"]["key"] == "D minor"
    assert data["output"]["duration_s"] == pytest.approx(8.0, abs=0.01)
    assert data["output"]["loudness_lufs"] == pytest.approx(-14.0, abs=1.0)
    assert data["software"]["version"]
    assert set(data["compute_s"]) >= {"validate", "encode", "plan", "decode", "render", "master", "export"}
    assert "lo-fi" in result.stdout


@pytest.mark.parametrize("suffix", [".mp3", ".flac", ".mid"])
def test_other_formats(tmp_path, suffix):
    out = tmp_path / f"track{suffix}"
    result = run("generate", "--prompt", "waltz", "--duration", "6", "--seed", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    if suffix == ".mid":
        midi = pretty_midi.PrettyMIDI(str(out))
        assert midi.get_end_time() <= 6.0 + 1e-6 and len(midi.instruments) >= 3
    else:
        info = sf.info(str(out))
        assert abs(info.duration - 6.0) < 0.1 and info.channels == 2


def test_decoders_lists_availability():
    result = run("decoders")
    assert result.returncode == 0
    assert "composer" in result.stdout and "available" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--duration", "3"], "between 5 and 600"),
        (["--duration", "10", "--bpm", "500"], "between 30 and 300"),
        (["--duration", "10", "--key", "Q minor"], "don't know the key"),
        (["--duration", "10", "--meter", "7/8"], "can't write music in"),
        (["--duration", "10", "--decoder", "nope"], "no decoder called 'nope'"),
        (["--duration", "10", "--prompt", "x" * 2001], "under 2,000"),
        (["--duration", "10", "--prompt", "a\x01b"], "control character"),
        (["--duration", "ten"], "invalid float value: 'ten' (see python -m mmgen generate --help)"),
        (["--duration", "10", "a stray word"], "unrecognized arguments: a stray word (see python -m mmgen --help)"),
        (["--duration", "10", "--out", "/no/such/folder/x.wav"], "does not exist"),
        (["--duration", "10", "--out", "OUT.aiff"], "must end in"),
        (["--duration", "10", "--report", "OUT.txt"], "must end in .json"),
    ],
)
def test_errors_are_one_plain_line(tmp_path, args, message):
    if "--out" not in args:
        args = args + ["--out", str(tmp_path / "x.wav")]
    args = [a.replace("OUT", str(tmp_path / "x")) for a in args]
    result = run("generate", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_unwritable_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        result = run("generate", "--duration", "10", "--out", str(locked / "x.wav"))
        assert result.returncode == 2 and "not allowed to write" in result.stderr
    finally:
        locked.chmod(0o700)


def test_missing_soundfont_is_explained(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", MMGEN_SOUNDFONT=str(tmp_path / "missing.sf2"))
    result = subprocess.run(
        [sys.executable, "-m", "mmgen", "generate", "--duration", "10", "--out", str(tmp_path / "x.wav")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "SoundFont" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.wav").exists()


def test_conform_without_rubber_band_says_what_to_install(tmp_path):
    """With no `rubberband` on the PATH the track cannot be bent: one plain line, nothing written."""
    source = tmp_path / "mine.wav"
    t = np.arange(10 * 44100) / 44100
    sf.write(source, (0.3 * np.sin(2 * np.pi * 220 * t) * (t % 0.5 < 0.1)).astype(np.float32), 44100)
    empty = tmp_path / "bin"
    empty.mkdir()
    env = dict(os.environ, HF_HUB_OFFLINE="1", PATH=str(empty))
    result = subprocess.run(
        [sys.executable, "-m", "mmgen", "conform", str(source), "--out", str(tmp_path / "out.wav")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "rubberband-cli" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.wav").exists()


def test_variations_write_numbered_files(tmp_path):
    result = run(
        "generate",
        "--prompt",
        "folk song",
        "--duration",
        "6",
        "--seed",
        "4",
        "--variations",
        "3",
        "--out",
        str(tmp_path / "take.wav"),
        "--report",
        str(tmp_path / "take.json"),
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["take-1.json", "take-1.wav", "take-2.json", "take-2.wav", "take-3.json", "take-3.wav"]
    seeds = [json.loads((tmp_path / f"take-{i}.json").read_text())["seed"] for i in (1, 2, 3)]
    assert seeds == [4, 5, 6]
    audio = [sf.read(str(tmp_path / f"take-{i}.wav"))[0] for i in (1, 2, 3)]
    assert not np.allclose(audio[0], audio[1])


@pytest.mark.parametrize(
    "args, message",
    [
        (["--variations", "5"], "number of variations must be between 1 and 4"),
        (["--temperature", "0"], "temperature must be between"),
        (["--top-p", "1.5"], "top-p must be between 0 and 1"),
    ],
)
def test_sampling_controls_are_checked(tmp_path, args, message):
    result = run("generate", "--duration", "6", "--out", str(tmp_path / "x.wav"), *args)
    assert result.returncode == 2 and message in result.stderr
