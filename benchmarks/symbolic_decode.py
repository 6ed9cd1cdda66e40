"""Speed of the embedded decoders on a 60 s score: the rule-based composer and each learned
family, timed side by side in one run (interleaved, median of the repeats), for the score alone
(the decoder's work) and for the whole track (score, SoundFont rendering, mastering).

    python benchmarks/symbolic_decode.py [--repeats 3] [--seconds 60]

Last line: `<decoder>_score_s=<median> ...` for every decoder, then `target_score_s=2`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROMPTS = ("a cheerful folk tune for a travel vlog", "upbeat pop for a product launch", "calm piano")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    import torch

    from mmgen import GenerationRequest, generate
    from mmgen.pipeline import make_plan
    from mmgen.registry import entries, get

    torch.set_num_threads(2)
    names = [e.name for e in entries("decoder") if e.offline and e.check().ok]
    plans = [make_plan(GenerationRequest(prompt=p, duration_s=args.seconds, seed=i)) for i, p in enumerate(PROMPTS)]
    for name in names:  # load every model before timing
        get("decoder", name).decode(plans[0], seed=99)
    score_s: dict[str, list[float]] = {n: [] for n in names}
    track_s: dict[str, list[float]] = {n: [] for n in names}
    for repeat in range(args.repeats):
        for plan in plans:
            for name in names:
                started = time.perf_counter()
                get("decoder", name).decode(plan, seed=repeat)
                score_s[name].append(time.perf_counter() - started)
        for name in names:
            started = time.perf_counter()
            generate(
                GenerationRequest(
                    prompt=PROMPTS[repeat % len(PROMPTS)], duration_s=args.seconds, seed=repeat, decoder=name
                )
            )
            track_s[name].append(time.perf_counter() - started)
    print(f"{'decoder':24s} {'score (median s)':>18s} {'whole track (median s)':>24s}")
    for name in names:
        print(f"{name:24s} {statistics.median(score_s[name]):18.3f} {statistics.median(track_s[name]):24.2f}")
    print(
        " ".join(f"{n}_score_s={statistics.median(score_s[n]):.3f}" for n in names)
        + f" seconds={args.seconds:g} target_score_s=2"
    )


if __name__ == "__main__":
    main()
