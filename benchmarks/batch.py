"""Batch runs (mmgen/batch): tracks per minute with 1 and 2 Ray workers on this machine against
running the CLI once per row, side by side in one run; Ray's own cost per task; peak memory per
worker.

The manifest: `--rows` text rows of different styles, `--seconds` long each, the composer with
the produced sound, one WAV a row, fixed seeds. Each way makes the same rows into a fresh folder,
end to end as a user would time it: Ray's start and every worker's first row (loading the text
encoder, the studio's instruments) are included, as the CLI's start is in every one of its rows.
`--rounds` repeats the three ways in turn; the best round of each is kept (the machine is shared).
Ray's cost per task: a call to a worker that does nothing, and one that hands back a track's
worth of bytes (a 20 s 24-bit stereo WAV, 5.3 MB) through the object store.

    python benchmarks/batch.py [--rows 12] [--seconds 20] [--rounds 2]

Last line: per_min_1_worker=<n> per_min_2_workers=<n> per_min_cli=<n>
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
PROMPTS = [
    "calm piano for a cooking video",
    "upbeat funk for a product launch",
    "dark ambient drone for a horror game",
    "lofi hip hop beat to study to",
    "epic orchestral trailer music",
    "bossa nova for a beach cafe",
    "driving synthwave for a night drive",
    "gentle folk guitar for a travel vlog",
]
TRACK_BYTES = 20 * 44100 * 2 * 3  # a 20 s 24-bit stereo WAV


def _manifest(folder: Path, rows: int, seconds: float) -> Path:
    path = folder / "manifest.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "prompt", "duration", "seed"])
        for i in range(rows):
            writer.writerow([f"track-{i:02d}", PROMPTS[i % len(PROMPTS)], seconds, 100 + i])
    return path


def _on_ray(manifest: Path, workers: int) -> dict:
    from mmgen.batch import run

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        summary = run(manifest, out, workers=workers, progress=False)
        elapsed = time.perf_counter() - started
    assert not summary.failures, summary.failures
    made = [row for row in summary.rows if row["status"] == "made"]
    peak = {}
    for row in made:
        peak[row["worker"]] = max(peak.get(row["worker"], 0.0), row["peak_memory_mb"])
    return {
        "elapsed_s": elapsed,
        "startup_s": summary.startup_s,
        "in_batch_overhead_s": summary.overhead_s,
        "row_s": sum(row["time_s"] for row in made) / len(made),
        "peak_mb": max(peak.values()),
        "workers": len(peak),
    }


def _by_cli(manifest: Path) -> dict:
    with open(manifest, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        for row in rows:
            command = [sys.executable, "-m", "mmgen", "generate", "--prompt", row["prompt"], "--duration"]
            command += [row["duration"], "--seed", row["seed"], "--out", f"{out}/{row['id']}.wav", "--quiet"]
            subprocess.run(command, env=env, check=True)
        elapsed = time.perf_counter() - started
    return {"elapsed_s": elapsed}


def _task_cost(calls: int = 200) -> dict:
    """Ray's round trip to a worker: empty, and with a track's bytes coming back (ms)."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=1 << 30)

    @ray.remote(num_cpus=1)
    class Echo:
        def nothing(self) -> None:
            return None

        def track(self) -> bytes:
            return b"\0" * TRACK_BYTES

    try:
        echo = Echo.remote()
        ray.get(echo.nothing.remote())
        started = time.perf_counter()
        for _ in range(calls):
            ray.get(echo.nothing.remote())
        empty = (time.perf_counter() - started) / calls
        started = time.perf_counter()
        for _ in range(calls // 10):
            ray.get(echo.track.remote())
        with_track = (time.perf_counter() - started) / (calls // 10)
    finally:
        ray.shutdown()
    return {"empty_ms": 1000 * empty, "track_ms": 1000 * with_track}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    with tempfile.TemporaryDirectory() as folder:
        manifest = _manifest(Path(folder), args.rows, args.seconds)
        ways = {
            "1 worker": lambda: _on_ray(manifest, 1),
            "2 workers": lambda: _on_ray(manifest, 2),
            "cli": lambda: _by_cli(manifest),
        }
        best: dict[str, dict] = {}
        for round_ in range(args.rounds):
            for name, way in ways.items():
                measured = way()
                print(f"round {round_ + 1} {name}: {measured['elapsed_s']:.1f} s", file=sys.stderr, flush=True)
                if name not in best or measured["elapsed_s"] < best[name]["elapsed_s"]:
                    best[name] = measured
        cost = _task_cost()
    per_min = {name: 60 * args.rows / b["elapsed_s"] for name, b in best.items()}
    print(
        f"{args.rows} rows of {args.seconds:g} s (composer, produced sound, one WAV each), "
        f"{os.cpu_count()} CPU cores, best of {args.rounds} rounds:"
    )
    for name, b in best.items():
        line = f"  {name:<10} {b['elapsed_s']:6.1f} s  {per_min[name]:5.2f} tracks/min"
        if "startup_s" in b:
            line += (
                f"  (Ray and {b['workers']} worker(s) ready in {b['startup_s']:.1f} s; a row {b['row_s']:.2f} s "
                f"in its worker, {b['in_batch_overhead_s']:.3f} s more on Ray; peak memory per worker "
                f"{b['peak_mb']:.0f} MB)"
            )
        print(line)
    print(
        f"  2 workers / 1: {per_min['2 workers'] / per_min['1 worker']:.2f}x; "
        f"1 worker / CLI per row: {per_min['1 worker'] / per_min['cli']:.2f}x"
    )
    print(
        f"  Ray's cost per task: {cost['empty_ms']:.2f} ms for an empty call, {cost['track_ms']:.1f} ms "
        f"with a track's bytes ({TRACK_BYTES / 1e6:.1f} MB) handed back"
    )
    print(
        f"per_min_1_worker={per_min['1 worker']:.2f} per_min_2_workers={per_min['2 workers']:.2f} "
        f"per_min_cli={per_min['cli']:.2f}"
    )


if __name__ == "__main__":
    main()
