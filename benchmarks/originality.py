"""Memorisation: how often each learned family and the composer write a phrase of a training tune.

`--takes` 30 s takes per engine over plans drawn from the prompts below (folk and dance prompts
first: the styles the learned models were trained on) and seeds 0.., each checked against the
shipped index as the pipeline checks it, before any retry. Printed per engine: the share of takes
with a copied phrase (the longest run at the copy threshold), the share called similar, the
distribution of the longest runs, and the milliseconds the check takes. The floor beside it:
the calibration's human tunes (the index's meta): tunes of another tradition and held-out tunes
of the training collections, checked the same way.

    python benchmarks/originality.py [--takes 40] [--engines composer,symbolic-transformer,...]

Last line: engine=rate pairs, e.g. `copy_rate composer=0.000 symbolic-transformer=0.025 ...`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

PROMPTS = (
    "an irish jig for a pub scene",
    "a celtic reel",
    "a folk tune for a hike",
    "a gentle chorale",
    "a waltz for a wedding video",
    "a hymn",
    "calm piano for a vlog",
    "a country song",
)


def main() -> None:
    import numpy as np

    import mmgen.pipeline  # noqa: F401 (registers the engines)
    from mmgen import registry
    from mmgen.originality.check import check_score, thresholds_of
    from mmgen.originality.index import known_pieces, shipped_path
    from mmgen.pipeline import make_plan
    from mmgen.request import GenerationRequest

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--takes", type=int, default=40)
    score_engines = [entry.name for entry in registry.entries("decoder") if entry.tokens == "score"]
    parser.add_argument("--engines", default=",".join(score_engines))
    args = parser.parse_args()
    index = known_pieces()
    limits = thresholds_of(index)
    build = index.meta.get("build_s")
    print(f"index: {len(index)} pieces, {shipped_path().stat().st_size / 1e6:.2f} MB, built in {build} s")
    print(f"thresholds: {limits}")
    for name in ("other_tunes", "held_out_tunes"):
        floor = index.meta["calibration"][name]
        print(f"{name} ({floor['count']}): copy rate {floor['copy_rate']:.3f}, longest runs {floor['notes']}")
    rates = {}
    for engine in args.engines.split(","):
        decoder = registry.get("decoder", engine)
        runs, verdicts, check_ms, decode_s = [], [], [], 0.0
        for i in range(args.takes):
            request = GenerationRequest(prompt=PROMPTS[i % len(PROMPTS)], duration_s=30, seed=i, decoder=engine)
            plan = make_plan(request)
            started = time.perf_counter()
            tokens = decoder.decode_many([plan], [i], sampling=request)[0]
            decode_s += time.perf_counter() - started
            started = time.perf_counter()
            result = check_score(tokens, plan.key)
            check_ms.append(1000 * (time.perf_counter() - started))
            runs.append(result.longest_match_notes)
            verdicts.append(result.verdict)
        runs = np.array(runs)
        rates[engine] = float(np.mean([v == "copy" for v in verdicts]))
        similar = float(np.mean([v == "similar" for v in verdicts]))
        print(
            f"{engine}: copy {rates[engine]:.3f}, similar {similar:.3f}; "
            f"longest runs p50 {np.percentile(runs, 50):.0f} p90 {np.percentile(runs, 90):.0f} max {runs.max()}; "
            f"check {np.median(check_ms):.1f} ms "
            f"(decode {decode_s / args.takes:.2f} s)"
        )
    print("copy_rate " + " ".join(f"{engine}={rate:.3f}" for engine, rate in rates.items()))


if __name__ == "__main__":
    main()
