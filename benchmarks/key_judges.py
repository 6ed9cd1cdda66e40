"""Is the asked key the key heard? Three key estimators listen to mmgen's tracks for keyed prompts:
mmgen's own chromagram one (`mmgen.eval.metrics.estimate_key`), essentia's KeyExtractor (HPCP,
the default "bgate" profile) and madmom's CNN (trained on real recordings).

The rules that keep the figure honest: harmony and mix are tuned on `key_tuning.jsonl` (prompts of
their own) listening with mmgen's estimator and madmom's CNN, the strictest of the three (it hears
loop-based minor tracks in their relative major where chroma profiles do not); the keyed prompts of
`sound_heldout.jsonl` (`--set heldout`) are judged by all three, and essentia is never used in tuning.

    python benchmarks/key_judges.py --set tuning --seeds 2 --work /tmp/key-tuning
    python benchmarks/key_judges.py --set heldout --seeds 3 --out benchmarks/results/key_judges.md

Rendering runs here (mmgen's venv); judging runs this file with `--judge` under the evaluation
venv's python (see benchmarks/heard.py for that venv, plus `pip install essentia==2.1b6.dev1389`).
On 2 cores a track takes some 2 s to render and 3 s to judge.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from heard import ROOT, Prompt, add_run_arguments, key_verdicts, load_mono, render_one, run_and_report

ESTIMATORS = ("mmgen", "essentia", "madmom")
PROMPT_FILES = {"tuning": "key_tuning.jsonl", "heldout": "sound_heldout.jsonl"}
JUDGES = {"tuning": "mmgen,madmom", "heldout": "mmgen,essentia,madmom"}


# ---------------------------------------------------------------- judge side (the evaluation venv)


def judge_main(manifest: Path, out: Path, judges: list[str]) -> None:
    """The eval-venv entry: essentia's and/or madmom's key of each track in the manifest."""
    import numpy as np

    tracks = json.loads(manifest.read_text())["tracks"]
    if "essentia" in judges:
        import essentia.standard as es

        extractor = es.KeyExtractor()
    if "madmom" in judges:
        from madmom.audio.signal import Signal
        from madmom.features.key import KEY_LABELS, CNNKeyRecognitionProcessor

        cnn = CNNKeyRecognitionProcessor()
    for track in tracks:
        mono = load_mono(track["path"], 44100).astype(np.float32)
        if "essentia" in judges:
            tonic, scale, _ = extractor(mono)
            track["essentia_key"] = f"{tonic} {scale}"
        if "madmom" in judges:
            probs = np.asarray(cnn(Signal(mono, sample_rate=44100))).ravel()
            track["madmom_key"] = KEY_LABELS[int(probs.argmax())]
    out.write_text(json.dumps({"tracks": tracks}))


# ---------------------------------------------------------------- render side (mmgen's venv)


def load_keyed(which: str, limit: int | None) -> list[Prompt]:
    path = ROOT / "benchmarks" / "prompts" / PROMPT_FILES[which]
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [Prompt(r["prompt"], r["family"], r["key"]) for r in rows if r.get("key")][:limit]


def run(args: argparse.Namespace, work: Path) -> str:
    sys.path.insert(0, str(ROOT))
    judges = args.judges.split(",")
    started = time.perf_counter()
    items = []
    for sound in args.sounds.split(","):
        for i, prompt in enumerate(load_keyed(args.set, args.limit)):
            for seed in range(1, args.seeds + 1):
                wav = work / f"{sound}-{i:03d}-s{seed}.wav"
                engine = {"sound": sound, "decoder": args.decoder, "restyle": args.restyle}
                items.append(render_one(prompt, (sound, engine), seed, args.duration, wav))
    rendered = time.perf_counter()
    outside = [j for j in judges if j != "mmgen"]
    if outside:
        manifest, out = work / "manifest.json", work / "judged.json"
        manifest.write_text(json.dumps({"tracks": items}))
        env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
        command = [args.judge_python, __file__, "--judge", str(manifest), "--judged", str(out), "--judges"]
        subprocess.run([*command, ",".join(outside)], check=True, env=env, stdout=subprocess.DEVNULL)
        items = json.loads(out.read_text())["tracks"]
    timing = (
        f"{len(items)} tracks rendered in {rendered - started:.0f} s, judged in {time.perf_counter() - rendered:.0f} s."
    )
    return report(items, judges, args, timing)


def report(items: list[dict], judges: list[str], args: argparse.Namespace, timing: str) -> str:
    lines = [
        f"# The asked key heard ({args.set} prompts, seeds 1..{args.seeds}, {args.duration:g} s)",
        "",
        f"Made by `benchmarks/key_judges.py`. {args.note} {timing}".replace("  ", " "),
        "",
        "| sound | estimator | asked key heard | with relative major/minor | minor asked | major asked |",
        "|---|---|---|---|---|---|",
    ]
    for sound in dict.fromkeys(r["sound"] for r in items):
        rows = [r for r in items if r["sound"] == sound]
        for judge in judges:
            verdicts = [key_verdicts(r["asked_key"], r[f"{judge}_key"]) for r in rows]
            by_mode = {
                mode: [v[0] for r, v in zip(rows, verdicts) if r["asked_key"].endswith(mode)]
                for mode in ("minor", "major")
            }
            cells = [f"{sum(v[0] for v in verdicts)}/{len(rows)}", f"{sum(v[1] for v in verdicts)}/{len(rows)}"]
            cells += [f"{sum(by_mode[m])}/{len(by_mode[m])}" for m in ("minor", "major")]
            lines.append(f"| {sound} | {judge} | {' | '.join(cells)} |")
    lines += ["", "## Misses (asked → heard)", ""]
    for judge in judges:
        misses = Counter(
            f"{r['style']} {r['asked_key']} → {r[f'{judge}_key']}"
            for r in items
            if not key_verdicts(r["asked_key"], r[f"{judge}_key"])[0]
        )
        listed = "; ".join(f"{miss}{f' (x{n})' if n > 1 else ''}" for miss, n in misses.items())
        lines.append(f"- {judge}: {listed or 'none'}")
    return "\n".join(lines) + "\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=tuple(PROMPT_FILES), default="tuning")
    parser.add_argument("--judges", help="mmgen,essentia,madmom (default: per set; essentia only on held-out)")
    add_run_arguments(parser, sounds="produced")
    args = parser.parse_args()
    args.judges = args.judges or JUDGES[args.set]
    if args.set == "tuning" and "essentia" in args.judges.split(",") and not args.judge:
        parser.error("essentia judges the held-out set only: tune with mmgen and madmom")
    return args


def main() -> None:
    args = parse_args()
    if args.judge:
        judge_main(args.judge, args.judged, args.judges.split(","))
        return
    run_and_report(args, run, "key-judges-")


if __name__ == "__main__":
    main()
