"""Train the reward model (mmgen/feedback/reward.py) on the track library's ratings.

    python -m mmgen.training.reward [--library ID] [--l2 1.0] [--min-pairs 8]

Writes <data folder>/reward/overall.json from every library's rated pairs, and one model per
library with at least --min-pairs pairs of its own (only that one with --library). Each model's
held-out pair accuracy is measured first on a fifth of its pairs (chosen by a hash of the two
track ids) with a model fitted on the rest; the saved model is then fitted on all of them. One
JSON line per model; exit 1 with a plain message when there is nothing to learn from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

from ..feedback.reward import MIN_PAIRS, accuracy, fit, model_path


def _held_out(pair) -> bool:
    return hashlib.sha1(f"{pair.better.id}|{pair.worse.id}".encode()).digest()[0] < 256 // 5


def train_one(pairs, scope: str, l2: float):
    """(the model fitted on every pair, its held-out accuracy or None when too few are held out)."""
    reports = [(p.better.report, p.worse.report) for p in pairs]
    test = [r for p, r in zip(pairs, reports, strict=True) if _held_out(p)]
    rest = [r for p, r in zip(pairs, reports, strict=True) if not _held_out(p)]
    held = round(accuracy(fit(rest, l2), test), 4) if len(test) >= 3 and rest else None
    model = fit(reports, l2, scope)
    model.held_out_accuracy = held
    return model


def main(argv: list[str] | None = None) -> None:
    from ..errors import MmgenError
    from ..feedback.pairs import rated_pairs
    from ..library.store import Library

    parser = argparse.ArgumentParser(description="Train the reward model on the library's ratings.")
    parser.add_argument("--library", help="train only this library's own model (and the overall one)")
    parser.add_argument("--l2", type=float, default=1.0, help="regularisation (larger: more cautious)")
    parser.add_argument("--min-pairs", type=int, default=MIN_PAIRS)
    args = parser.parse_args(argv)
    try:
        store = Library()
        everyone = rated_pairs(store)
        if len(everyone) < args.min_pairs:
            parser.exit(1, f"error: {len(everyone)} rated pairs in the library; at least {args.min_pairs} are needed\n")
        by_library: dict[str, list] = {}
        for pair in everyone:
            by_library.setdefault(pair.better.library, []).append(pair)
        wanted = [args.library] if args.library else sorted(by_library)
        jobs = [(None, everyone)] + [(lib, by_library.get(lib, [])) for lib in wanted]
        for library, pairs in jobs:
            if len(pairs) < args.min_pairs:
                print(f"library {library}: {len(pairs)} rated pairs, too few for a model of its own", file=sys.stderr)
                continue
            model = train_one(pairs, "library" if library else "overall", args.l2)
            path = model.save(model_path(library))
            print(
                json.dumps(
                    {
                        "scope": model.scope,
                        "pairs": model.pairs,
                        "held_out_accuracy": model.held_out_accuracy,
                        "liked": model.liked(),
                        "model": str(path),
                    }
                )
            )
    except MmgenError as error:
        parser.exit(1, f"error: {error}\n")


if __name__ == "__main__":
    main()
