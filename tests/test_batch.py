"""Batch runs on a real local Ray: a manifest of text, picture, video and lyrics rows with bad
rows among them, run again (nothing new), a deleted file remade alone, and a batch killed mid-way
finished by the next run with no partial file left."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf
from media import make_image, make_video

from mmgen.batch import run
from mmgen.cli import main
from mmgen.post.export import FILE_MODE

ROOT = Path(__file__).resolve().parents[1]
LYRICS = "[Verse]\nthe sun comes up over the hill\nwe walk along the river still\n[Chorus]\nsing it loud\n"


def _results(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def _stamps(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def _partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".mmgen-*") if p.name != ".mmgen-batch.lock"]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """A manifest of four good rows (text with stems, picture, video, lyrics) and two bad ones."""
    folder = tmp_path_factory.mktemp("catalogue")
    make_video(folder / "clip.mp4", [3.0, 3.5])
    make_image(folder / "sunset.png", (230, 120, 40), pattern=True)
    (folder / "song.txt").write_text(LYRICS, encoding="utf-8")
    (folder / "manifest.csv").write_text(
        "id,prompt,duration,bpm,video,image,lyrics,formats,stems,seed\n"
        "calm,calm piano for a cooking video,8,,,,,wav mid,yes,\n"  # line 2: no seed, one from the row
        "sunset,,8,,,sunset.png,,mp3,,3\n"
        "trailer,epic trailer,,,clip.mp4,,,,,\n"  # line 4: as long as the video, an .mp4 and a .wav
        "song,folk song,,,,,song.txt,wav,,\n"
        "missing,,8,,,nothere.png,,,,\n"  # line 6: a file that is not there
        "fast,rock,8,900,,,,,,\n",  # line 7: a tempo out of range
        encoding="utf-8",
    )
    out = folder / "out"
    summary = run(folder / "manifest.csv", out, workers=2, progress=False)
    return folder, out, summary


def test_good_rows_are_made_and_bad_rows_reported_by_line(catalogue):
    _, out, summary = catalogue
    rows = _results(out / "results.csv")
    assert {i: r["status"] for i, r in rows.items()} == {
        "calm": "made",
        "sunset": "made",
        "trailer": "made",
        "song": "made",
        "missing": "invalid",
        "fast": "invalid",
    }
    assert rows["missing"]["line"] == "6" and "nothere.png" in rows["missing"]["error"]
    assert rows["fast"]["line"] == "7" and "900" in rows["fast"]["error"]
    assert summary.workers == 2 and len(summary.failures) == 2
    for row in (r for r in rows.values() if r["status"] == "made"):
        files = row["files"].split()
        assert files and all((out / name).is_file() for name in files)
        assert abs(float(row["loudness_lufs"]) + 14) < 0.5 and row["engine"] == "composer"
        assert row["key"] and float(row["tempo_bpm"]) > 0 and float(row["time_s"]) > 0
        report = json.loads((out / f"{row['id']}.json").read_text(encoding="utf-8"))
        assert report["batch"]["line"] == int(row["line"]) and report["seed"] == int(row["seed"])
    assert set(rows["calm"]["files"].split()) >= {"calm.wav", "calm.mid", "calm-stems/melody.wav"}
    assert all((out / name).stat().st_mode & 0o777 == FILE_MODE for name in rows["calm"]["files"].split())
    assert sf.info(str(out / "calm.wav")).duration == pytest.approx(8.0, abs=0.01)
    assert rows["sunset"]["seed"] == "3" and (out / "sunset.mp3").stat().st_size > 10_000
    assert rows["trailer"]["files"].split() == ["trailer.mp4", "trailer.wav"]
    assert float(rows["trailer"]["duration_s"]) == pytest.approx(6.5, abs=0.05)  # the video's length
    assert float(rows["song"]["duration_s"]) > 15  # as long as the song form
    assert not _partials(out)


def test_running_again_makes_nothing_and_a_deleted_file_is_remade_alone(catalogue):
    folder, out, first = catalogue
    before = _stamps(out)
    again = run(folder / "manifest.csv", out, progress=False)
    assert again.count("skipped") == 4 and again.count("made") == 0 and again.workers == 0  # Ray not even started
    assert {k: v for k, v in _stamps(out).items() if k != "results.csv"} == {
        k: v for k, v in before.items() if k != "results.csv"
    }
    seeds = {r["id"]: r["seed"] for r in first.rows if r["status"] == "made"}
    old = (out / "calm.wav").read_bytes()
    (out / "calm.wav").unlink()
    third = run(folder / "manifest.csv", out, progress=False)
    rows = _results(out / "results.csv")
    assert [r["id"] for r in third.rows if r["status"] == "made"] == ["calm"]
    assert rows["calm"]["seed"] == str(seeds["calm"])  # the seed came from the row, so the same music
    assert (out / "calm.wav").read_bytes() == old
    after = _stamps(out)
    unchanged = [k for k in before if not k.startswith("calm") and k != "results.csv"]
    assert all(after[k] == before[k] for k in unchanged)


def test_a_batch_killed_mid_way_is_finished_by_the_next_run(tmp_path):
    rows = "".join(f"r{i},calm piano,{8 + i},{i}\n" for i in range(5))
    (tmp_path / "m.csv").write_text("id,prompt,duration,seed\n" + rows, encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "mmgen", "batch", "m.csv", "--out", "out", "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    batch = subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not (out / "r0.json").exists() and batch.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGKILL)  # the batch, its Ray and its workers, as a lost machine would
    batch.wait()
    made_before = sorted(p.name for p in out.glob("r*.json"))
    assert made_before and len(made_before) < 5
    for name in made_before:  # what is under a final name is whole
        wav = out / name.replace(".json", ".wav")
        assert sf.info(str(wav)).duration == pytest.approx(8 + int(name[1]), abs=0.01)
    (out / ".mmgen-k3x9.wav").write_bytes(b"RIFF half a file")  # what a write cut short leaves
    stamps = _stamps(out)
    finished = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
    assert finished.returncode == 0, finished.stderr
    assert "5 rows" in finished.stdout
    results = _results(out / "results.csv")
    assert all(results[f"r{i}"]["status"] in ("made", "skipped") for i in range(5))
    assert sorted(i for i, r in results.items() if r["status"] == "skipped") == [n[:-5] for n in made_before]
    assert all(_stamps(out)[n] == stamps[n] for n in made_before)  # not made twice
    assert [sf.info(str(out / f"r{i}.wav")).duration for i in range(5)] == pytest.approx([8, 9, 10, 11, 12], abs=0.01)
    assert not _partials(out)


def test_a_worker_that_dies_fails_only_its_row_and_a_fresh_one_goes_on(tmp_path):
    """A worker killed mid-row (as the kernel's out-of-memory killer would): that row is failed
    with a plain reason, a fresh worker makes the rest, and the next run makes the failed row."""
    rows = "".join(f"r{i},calm piano,{8 + 2 * i},{i}\n" for i in range(3))
    (tmp_path / "m.csv").write_text("id,prompt,duration,seed\n" + rows, encoding="utf-8")
    command = [sys.executable, "-m", "mmgen", "batch", "m.csv", "--out", "out", "--workers", "1", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    batch = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline, worker = time.monotonic() + 240, None
    while worker is None and batch.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        if (tmp_path / "out" / "r0.json").exists():
            worker = json.loads((tmp_path / "out" / "r0.json").read_text())["batch"]["results"]["worker"]
    assert worker, "the first row was never made"
    os.kill(int(worker.rsplit(":", 1)[1]), signal.SIGKILL)  # r1 is being made on it now
    _, err = batch.communicate(timeout=300)
    results = _results(tmp_path / "out" / "results.csv")
    assert batch.returncode == 1 and "1 of 3 rows failed" in err, err
    assert [results[f"r{i}"]["status"] for i in range(3)] == ["made", "failed", "made"]
    assert "its worker stopped" in results["r1"]["error"] and results["r2"]["worker"] != worker
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "1 made, 2 skipped" in again.stdout
    assert sf.info(str(tmp_path / "out" / "r1.wav")).duration == pytest.approx(10, abs=0.01)


def test_jsonl_rows_are_checked_one_by_one(tmp_path, capsys):
    (tmp_path / "m.jsonl").write_text(
        '{"id": "a", "prompt": "lofi", "duration": 6, "formats": "flac", "seed": 1}\n'
        "not json\n"
        '{"id": "b", "prompt": "jazz", "duration": 6, "dration": 7}\n'
        '{"id": "c", "prompt": "jazz", "duration": 6, "formats": "ecdc"}\n'
        '{"id": "a", "prompt": "rock", "duration": 6}\n'
        '{"id": "../x", "duration": 6}\n'
        '{"prompt": "ambient"}\n',
        encoding="utf-8",
    )
    assert main(["batch", str(tmp_path / "m.jsonl"), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [(r["line"], r["status"]) for r in lines] == [
        (1, "made"),
        (2, "invalid"),
        (3, "invalid"),
        (4, "invalid"),
        (5, "invalid"),
        (6, "invalid"),
        (7, "invalid"),
    ]
    errors = {r["line"]: r["error"] for r in lines}
    assert "not valid JSON" in errors[2] and "'dration'" in errors[3] and "ecdc" in errors[4]
    assert "line 1 already" in errors[5] and "letters, digits" in errors[6] and "duration" in errors[7]
    assert (tmp_path / "out" / "a.flac").is_file() and lines[0]["files"] == ["a.flac"]
    assert "mmgen: 6 of 7 rows failed; the others are made." in captured.err
    assert "line 2 (row-2): This line is not valid JSON" in captured.err


@pytest.mark.parametrize(
    "manifest, arguments, message",
    [
        ("nothing.csv", [], "There is no manifest"),
        ("m.txt", [], "must be a .csv or .jsonl file"),
        ("bad-column.csv", [], "column mmgen does not know: 'tempo'"),
        ("ok.csv", ["--results", "r.xlsx"], "must end in .csv or .jsonl"),
        ("ok.csv", ["--workers", "0"], "between 1 and 10000"),
    ],
)
def test_a_batch_that_cannot_start_says_why_in_one_line(tmp_path, capsys, manifest, arguments, message):
    (tmp_path / "m.txt").write_text("prompt\nrock\n")
    (tmp_path / "bad-column.csv").write_text("prompt,tempo\nrock,120\n")
    (tmp_path / "ok.csv").write_text("prompt,duration\nrock,6\n")
    code = main(["batch", str(tmp_path / manifest), "--out", str(tmp_path / "out"), *arguments])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_neural_rows_go_to_gpu_workers_and_score_rows_to_cpu_workers(tmp_path, point_at):
    """Ray here told of one GPU: the MusicGen row (a tiny random checkpoint of the real classes,
    loaded by mmgen's own code) is made by the GPU worker, the composer's by a CPU worker."""
    from mmgen.decoders.musicgen.debug import save_debug_checkpoint

    point_at("MMGEN_MUSICGEN_PATH", save_debug_checkpoint(tmp_path / "musicgen-tiny"))  # the workers inherit it
    (tmp_path / "m.csv").write_text(
        "id,prompt,duration,engine,formats,seed\nneural,lofi,5,musicgen,wav,1\nscore,lofi,5,,wav mid,1\n",
        encoding="utf-8",
    )
    summary = run(tmp_path / "m.csv", tmp_path / "out", gpus=1, progress=False)
    rows = {row["id"]: row for row in summary.rows}
    assert summary.workers == 2 and not summary.failures, summary.rows
    assert (rows["neural"]["ran_on"], rows["neural"]["engine"]) == ("gpu", "musicgen")
    assert (rows["score"]["ran_on"], rows["score"]["engine"]) == ("cpu", "composer")
    assert rows["neural"]["worker"] != rows["score"]["worker"]
    assert (
        sf.info(str(tmp_path / "out" / "neural.wav")).duration == pytest.approx(5, abs=0.01)
        and (tmp_path / "out" / "score.mid").is_file()
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    """A Ray cluster of one node started with `ray start --head`, as a cluster's head is, with
    mmgen importable there (as an installed mmgen would be): its GCS and Ray Client addresses.
    `--block` keeps it in one process group of its own, stopped with it (not `ray stop`, which
    would stop every Ray on the machine)."""
    import secrets

    gcs, client = _free_port(), _free_port()
    token = tmp_path / "ray-token"  # its own token: `ray start` makes none, and the batch must bring it
    token.write_text(secrets.token_hex(32))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    env |= {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}
    start = [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--port", str(gcs)]
    start += ["--ray-client-server-port", str(client), "--num-cpus", "2", "--include-dashboard", "false"]
    log = tmp_path / "head.log"
    with open(log, "w") as sink:
        head = subprocess.Popen(
            start + ["--disable-usage-stats"], env=env, start_new_session=True, stdout=sink, stderr=sink
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and head.poll() is None:  # ready when it says so: the client
        if "Ray runtime started" in log.read_text(errors="replace"):  # port opens before the server
            break  # can take a driver
        time.sleep(0.5)
    else:
        os.killpg(head.pid, signal.SIGKILL)
        pytest.fail("ray start --head did not come up within 120 s")
    yield env, f"127.0.0.1:{gcs}", f"ray://127.0.0.1:{client}"
    os.killpg(head.pid, signal.SIGTERM)
    try:
        head.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(head.pid, signal.SIGKILL)
        head.wait()


def test_a_batch_runs_on_a_running_cluster(tmp_path, cluster):
    """As a driver on a node of a running cluster (HOST:PORT, what --address auto and a Ray job
    find): the picture is shipped to the workers through the object store, and the files are the
    same as a batch on Ray started here makes."""
    env, gcs, _client = cluster
    make_image(tmp_path / "sunset.png", (230, 120, 40), pattern=True)
    (tmp_path / "m.csv").write_text("id,prompt,duration,image,seed\npic,,6,sunset.png,1\ntext,jazz,6,,2\n")
    for address, out in ((gcs, "on-node"), (None, "here")):
        command = [sys.executable, "-m", "mmgen", "batch", "m.csv", "--out", out, "--quiet"]
        command += ["--address", address] if address else []
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "2 rows: 2 made" in done.stdout
    for name in ("pic.wav", "text.wav"):
        assert (tmp_path / "on-node" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_an_address_where_no_cluster_answers_is_said_plainly(tmp_path, capsys):
    """mmgen's own check, in seconds (Ray itself would retry for a minute and more)."""
    (tmp_path / "m.csv").write_text("prompt,duration\nrock,6\n")
    code = main(
        ["batch", str(tmp_path / "m.csv"), "--out", str(tmp_path / "out"), "--address", f"127.0.0.1:{_free_port()}"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "No Ray cluster answers at 127.0.0.1:" in err and len(err.splitlines()) == 1


def test_spreadsheet_csv_and_json_values_are_read_as_a_person_means_them(tmp_path):
    from mmgen.batch.manifest import read_manifest

    (tmp_path / "semi.csv").write_text("\ufeffid;prompt;duration;bpm\na;lofi, chill;8;90\n", encoding="utf-8")
    (rows, problems) = read_manifest(tmp_path / "semi.csv")  # a spreadsheet's semicolons, its BOM
    assert not problems and (rows[0].row_id, rows[0].request.prompt, rows[0].request.tempo_bpm) == (
        "a",
        "lofi, chill",
        90,
    )
    (tmp_path / "m.jsonl").write_text(
        '{"duration": 8, "formats": ["wav", "mp3"], "stems": true}\n{"duration": 8, "bpm": true}\n'
        '{"duration": 8, "prompt": {"text": "rock"}}\n',
        encoding="utf-8",
    )
    rows, problems = read_manifest(tmp_path / "m.jsonl")
    assert rows[0].formats == ("wav", "mp3") and rows[0].stems
    assert [(p.line, p.message) for p in problems] == [
        (2, "'bpm' must be a number or text, not true."),
        (3, "'prompt' must be a number or text, not a dict."),
    ]
