"""What stems, loops and the game kit cost against a plain track of the same length.

Side by side in one run, in rounds (each round makes every variant once, in turn, so the shared
machine's noise falls on all of them alike), with the composer and the produced sound:

- plain: generate() a track and save its WAV;
- stems: the same, plus save_stems() (a WAV and a MIDI file per part);
- loop: generate(loop=True) and save its WAV (loop points in the smpl chunk);
- game kit: the loop, plus build_game_kit() (three intensity layers of stems, a segment per
  section, two stingers) and its ZIP.

    python benchmarks/gamekit.py [--lengths 16,32] [--rounds 3]

Last line: stems_x=<stems / plain> loop_x=<loop / plain> game_kit_x=<game kit / plain> (medians, longest length)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

PROMPT = "chiptune level music for a platformer"


def make(variant: str, seconds: float, seed: int, folder: Path) -> float:
    """Seconds to make `variant` and write its files into `folder`."""
    from mmgen import GenerationRequest, generate
    from mmgen.gamekit import build_game_kit

    started = time.perf_counter()
    track = generate(GenerationRequest(prompt=PROMPT, duration_s=seconds, seed=seed, loop=variant in ("loop", "kit")))
    track.save(folder / f"{variant}.wav")
    if variant == "stems":
        track.save_stems(folder / "stems")
    if variant == "kit":
        build_game_kit(track).save(folder / "kit.zip")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", default="16,32", help="seconds of music")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    variants = ("plain", "stems", "loop", "kit")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        make("kit", 8.0, 0, folder)  # warm: models loaded, code compiled
        ratios = {}
        for seconds in map(float, args.lengths.split(",")):
            times: dict[str, list[float]] = {v: [] for v in variants}
            for round_ in range(args.rounds):
                for variant in variants:
                    times[variant].append(make(variant, seconds, 10 + round_, folder))
            median = {v: float(np.median(t)) for v, t in times.items()}
            ratios = {v: round(median[v] / median["plain"], 2) for v in variants}
            row = {"seconds": seconds, "median_s": {v: round(m, 2) for v, m in median.items()}, "x_plain": ratios}
            print(json.dumps(row), flush=True)
    print(f"stems_x={ratios['stems']} loop_x={ratios['loop']} game_kit_x={ratios['kit']}")


if __name__ == "__main__":
    main()
