"""How well mmgen reads descriptions: the held-out benchmark (benchmarks/prompts/heldout.jsonl,
written apart from the tuning set and never tuned on) planned by mmgen, scored per language.

For each description: is the planned style in the expected family (and the expected style, where
one is given), is the mood in the expected quadrant (valence above or below 0, arousal above or
below 0.5, taken from the planned moods, or from the key's mode and the plan's energy when it
planned none), is the tempo in the expected range (a compound meter's dotted-quarter tempo is
also compared in quarters), and are explicit cues planned exactly. Also: the time the word
reading takes per request.

    python benchmarks/prompt_reading.py [--set heldout|tuning] [--tree DIR] [--out FILE]

`--tree` runs another checkout of mmgen (e.g. a worktree of an older commit) on the same set, for
before/after figures; the style families are always this checkout's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# The moods' valence and arousal, as mmgen's vocabulary places them (the older 9 moods are among them).
MOOD_VA = {
    name: (entry["valence"], entry["arousal"])
    for name, entry in tomllib.loads((HERE / "assets/vocabulary/moods.toml").read_text("utf-8")).items()
}
FAMILIES = {
    name: entry["family"]
    for name, entry in tomllib.loads((HERE / "assets/vocabulary/styles.toml").read_text("utf-8")).items()
}


def quadrant(plan) -> str:
    if plan.moods:
        valence = sum(MOOD_VA[m][0] for m in plan.moods) / len(plan.moods)
        arousal = sum(MOOD_VA[m][1] for m in plan.moods) / len(plan.moods)
    else:
        valence = -0.5 if plan.key.mode == "minor" else 0.5
        arousal = plan.energy
    return f"{'bright' if valence > 0 else 'dark'}-{'high' if arousal >= 0.5 else 'low'}"


def tempo_ok(plan, expected: list[float]) -> bool:
    low, high = expected
    tempos = [plan.tempo_bpm] + ([plan.tempo_bpm * 1.5] if plan.meter.is_compound else [])
    return any(low - 0.5 <= t <= high + 0.5 for t in tempos)


def cues_ok(plan, cues: dict) -> bool:
    from mmgen.music import parse_key

    checks = []
    if "bpm" in cues:
        checks.append(abs(plan.tempo_bpm - cues["bpm"]) < 0.5)
    if "key" in cues:
        checks.append(plan.key == parse_key(cues["key"]))
    if "meter" in cues:
        checks.append(plan.meter.name == cues["meter"])
    return all(checks)


def run(lines: list[dict]) -> dict:
    from mmgen import GenerationRequest
    from mmgen.encoders.cues import parse_cues
    from mmgen.encoders.text import load_descriptors
    from mmgen.pipeline import make_plan

    make_plan(GenerationRequest(prompt="warm-up", duration_s=30, seed=1))  # load the encoder first
    descriptors = load_descriptors()
    tally: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    misses = []
    reading_s, planning_s = [], []
    for line in lines:
        start = time.perf_counter()
        parse_cues(line["text"], descriptors)
        reading_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        plan = make_plan(GenerationRequest(prompt=line["text"], duration_s=30, seed=1))
        planning_s.append(time.perf_counter() - start)
        results = {}
        if line.get("family"):
            results["family"] = FAMILIES.get(plan.style) == line["family"]
        if line.get("style"):
            results["style"] = plan.style == line["style"]
        if line.get("quadrant"):
            results["quadrant"] = quadrant(plan) == line["quadrant"]
        if line.get("tempo"):
            results["tempo"] = tempo_ok(plan, line["tempo"])
        if line.get("cues"):
            results["cues"] = cues_ok(plan, line["cues"])
        for language in (line["lang"], "all"):
            for measure, ok in results.items():
                tally[language][measure].append(int(ok))
        if not all(results.values()):
            wrong = [m for m, ok in results.items() if not ok]
            misses.append(
                {
                    "id": line["id"],
                    "wrong": wrong,
                    "style": plan.style,
                    "moods": plan.moods,
                    "tempo": round(plan.tempo_bpm),
                }
            )
    table = {
        language: {measure: round(100 * sum(v) / len(v), 1) for measure, v in measures.items()}
        | {"n": max(len(v) for v in measures.values())}
        for language, measures in tally.items()
    }
    reading_s.sort()
    planning_s.sort()
    return {
        "percent_right": table,
        "word_reading_ms": {
            "median": round(1000 * reading_s[len(reading_s) // 2], 2),
            "p95": round(1000 * reading_s[int(len(reading_s) * 0.95)], 2),
        },
        "plan_ms": {"median": round(1000 * planning_s[len(planning_s) // 2], 2)},
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="heldout", choices=("heldout", "tuning"))
    parser.add_argument("--tree", type=Path, default=HERE, help="the mmgen checkout to run")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))
    path = HERE / "benchmarks" / "prompts" / f"{args.set}.jsonl"
    lines = [json.loads(row) for row in path.read_text("utf-8").splitlines() if row.strip()]
    figures = run(lines)
    import mmgen

    print(f"mmgen imported from {Path(mmgen.__file__).parent}")
    order = ["all", "en", "zh", "es", "ja", "ko", "pt", "fr", "de", "hi", "mixed"]
    print(f"{args.set}: {len(lines)} descriptions, mmgen from {args.tree}")
    print("| language | n | family | style | mood quadrant | tempo in range | explicit cues |")
    print("|---|---|---|---|---|---|---|")
    for language in order:
        row = figures["percent_right"].get(language)
        if row:
            cells = [f"{row[m]:.0f} %" if m in row else "–" for m in ("family", "style", "quadrant", "tempo", "cues")]
            print(f"| {language} | {row['n']} | " + " | ".join(cells) + " |")
    print(
        f"word reading per request: median {figures['word_reading_ms']['median']} ms, "
        f"p95 {figures['word_reading_ms']['p95']} ms; whole plan median {figures['plan_ms']['median']} ms"
    )
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
