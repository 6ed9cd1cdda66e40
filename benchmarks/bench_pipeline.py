"""Speed of the embedded path: a 60 s track, prompt to mastered WAV, on this machine.

Runs in a fresh process so the first call (produced sound) includes every import, model load and
compilation. Then the warm calls, each prompt in each sound (`--sounds`: produced, general-midi)
one after the other, so the sounds are compared side by side on the same noisy machine. Prints per
sound the median warm call, the real-time factor (audio seconds per compute second), the compute
time of each pipeline step, the ratio of the sounds' times, and the peak resident memory.

    python benchmarks/bench_pipeline.py [--duration 60] [--runs 8] [--sounds produced,general-midi]
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
    "energetic house music for a workout video",
    "dark trap beat",
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
    parser.add_argument("--sounds", default="produced,general-midi")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    sounds = args.sounds.split(",")

    started = time.perf_counter()
    from mmgen import GenerationRequest, generate

    out = Path(tempfile.mkdtemp()) / "bench.wav"

    def run(prompt: str, sound: str, seed: int, t0: float | None = None) -> dict:
        t0 = t0 if t0 is not None else time.perf_counter()
        track = generate(GenerationRequest(prompt=prompt, duration_s=args.duration, seed=seed, sound=sound))
        track.save(out)
        return {"prompt": prompt, "seconds": time.perf_counter() - t0, "steps": dict(track.timings_s)}

    first = run(PROMPTS[0], sounds[0], 0, started)
    warm: dict[str, list[dict]] = {sound: [] for sound in sounds}
    for i in range(1, args.runs + 1):
        for sound in sounds:  # side by side: the same prompt and seed in each sound, back to back
            warm[sound].append(run(PROMPTS[i % len(PROMPTS)], sound, i))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures: dict = {"duration_s": args.duration, "first_call_s": round(first["seconds"], 2), "first_sound": sounds[0]}
    for sound, rows in warm.items():
        median = statistics.median(r["seconds"] for r in rows)
        steps = {k: statistics.median(r["steps"].get(k, 0.0) for r in rows) for k in rows[0]["steps"]}
        figures[sound] = {
            "warm_median_s": round(median, 3),
            "warm_realtime_factor": round(args.duration / median, 1),
            "warm_step_median_s": {k: round(v, 3) for k, v in steps.items()},
        }
    if len(sounds) == 2:
        ratios = [a["seconds"] / b["seconds"] for a, b in zip(warm[sounds[0]], warm[sounds[1]])]
        figures[f"{sounds[0]}_over_{sounds[1]}"] = round(statistics.median(ratios), 2)
    figures["peak_rss_mb"] = round(peak_mb)
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
