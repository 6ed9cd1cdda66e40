"""Speed of the embedded path: a 60 s track, prompt to mastered WAV, on this machine.

Runs in a fresh process so the first call includes every import and model load. Prints the first
call, the median of the warm calls, the real-time factor (audio seconds per compute second), the
compute time of each pipeline step, and the peak resident memory. All in one run, side by side.

    python benchmarks/bench_pipeline.py [--duration 60] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROMPTS = [
    "chill lofi beat for a cooking video",
    "epic orchestral trailer",
    "upbeat pop for a travel vlog",
    "gentle solo piano piece",
    "drum and bass workout",
    "an elegant waltz",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=len(PROMPTS))
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    started = time.perf_counter()
    from mmgen import GenerationRequest, generate

    out = Path(tempfile.mkdtemp()) / "bench.wav"
    rows = []
    for i in range(args.runs + 1):
        prompt = PROMPTS[i % len(PROMPTS)]
        t0 = time.perf_counter() if i else started
        track = generate(GenerationRequest(prompt=prompt, duration_s=args.duration, seed=i))
        track.save(out)
        rows.append({"prompt": prompt, "seconds": time.perf_counter() - t0, "steps": dict(track.timings_s)})
    first, warm = rows[0], rows[1:]
    warm_median = statistics.median(r["seconds"] for r in warm)
    steps = {k: statistics.median(r["steps"][k] for r in warm) for k in warm[0]["steps"]}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "duration_s": args.duration,
        "first_call_s": round(first["seconds"], 2),
        "warm_median_s": round(warm_median, 3),
        "warm_realtime_factor": round(args.duration / warm_median, 1),
        "warm_step_median_s": {k: round(v, 3) for k, v in steps.items()},
        "peak_rss_mb": round(peak_mb),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
