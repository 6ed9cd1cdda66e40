"""The cold start of `python -m mmgen generate`: fresh processes, timed side by side in one run
(interleaved, so the machine's noise falls on every condition alike).

Conditions: this checkout with an empty cache (the first run on a machine), this checkout with the
cache it left (every later run), and optionally another checkout (`--tree`, e.g. a worktree of an
older commit). Reported: the median wall time of the whole command and of its encode step (from the
report's timings).

    python benchmarks/cold_start.py [--runs 3] [--tree DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# One description whose words settle style and mood, one that needs the sentence encoder.
PROMPTS = {"named": "chill lofi beat for a cooking video", "open": "something for a rainy afternoon in town"}


def one_run(tree: Path, cache: Path, work: Path, prompt: str) -> tuple[float, float]:
    report = work / "report.json"
    env = {**os.environ, "MMGEN_CACHE": str(cache), "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable,
        "-m",
        "mmgen",
        "generate",
        "--prompt",
        prompt,
        "--duration",
        "5",
        "--out",
        str(work / "t.wav"),
        "--report",
        str(report),
    ]
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=tree, check=True, capture_output=True)
    wall = time.perf_counter() - start
    timings = json.loads(report.read_text())["compute_s"]
    return wall, timings["encode"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tree", type=Path, help="another checkout to time beside this one")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    conditions = ["empty cache", "cache filled"] + ([f"{args.tree.name} (another checkout)"] if args.tree else [])
    results: dict[tuple[str, str], list[tuple[float, float]]] = {(kind, c): [] for kind in PROMPTS for c in conditions}
    with tempfile.TemporaryDirectory() as tmp:
        work, warm_cache = Path(tmp), Path(tmp) / "warm-cache"
        one_run(HERE, warm_cache, work, PROMPTS["open"])  # fill the cache the warm runs read
        for i in range(args.runs):
            for kind, prompt in PROMPTS.items():
                results[(kind, "empty cache")].append(one_run(HERE, work / f"cold-{kind}-{i}", work, prompt))
                results[(kind, "cache filled")].append(one_run(HERE, warm_cache, work, prompt))
                if args.tree:
                    results[(kind, conditions[2])].append(one_run(args.tree, work / f"old-{kind}-{i}", work, prompt))
    figures = {
        f"{kind}: {condition}": {
            "wall_s": round(statistics.median(w for w, _ in runs), 2),
            "encode_s": round(statistics.median(e for _, e in runs), 2),
        }
        for (kind, condition), runs in results.items()
    }
    print(f"prompts: {PROMPTS}; {args.runs} runs each, medians")
    print("| description: condition | whole command, s | encode step, s |")
    print("|---|---|---|")
    for name, f in figures.items():
        print(f"| {name} | {f['wall_s']} | {f['encode_s']} |")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
