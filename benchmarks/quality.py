"""Quality figures of the embedded path, measured with mmgen.eval on rendered audio:
tempo accuracy (librosa beat tracking vs the plan, 3 % tolerance, half/double allowed), key
accuracy (chromagram + Krumhansl-Kessler vs the plan), loudness error, true peak, exact length.

    python benchmarks/quality.py [--seeds 3] [--duration 30] [--every-style]

`--every-style` plays each style of the vocabulary, named by its own first English word, instead
of the sixteen descriptions below.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROMPTS = [
    "chill lofi hip hop beat",
    "upbeat pop for a travel vlog",
    "rock anthem",
    "house music party",
    "drum and bass workout",
    "hip hop beat",
    "an elegant waltz",
    "epic orchestral trailer",
    "gentle solo piano piece",
    "calm ambient meditation",
    "jazz club",
    "acoustic folk song",
    "funky groove",
    "bossa nova for a cooking video",
    "8-bit retro game",
    "corporate presentation",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--every-style", action="store_true")
    args = parser.parse_args()
    from mmgen import GenerationRequest, generate
    from mmgen.eval import metrics
    from mmgen.vocabulary import load_vocabulary

    prompts = PROMPTS
    if args.every_style:
        prompts = [style["words"]["en"][0] for style in load_vocabulary()["styles"].values()]
    rows = []
    for prompt in prompts:
        for seed in range(args.seeds):
            track = generate(GenerationRequest(prompt=prompt, duration_s=args.duration, seed=seed))
            x, rate = track.audio.samples, track.audio.sample_rate_hz
            tempo = metrics.tempo_bpm(x, rate)
            key, _ = metrics.estimate_key(x, rate)
            rows.append(
                {
                    "prompt": prompt,
                    "seed": seed,
                    "style": track.plan.style,
                    "tempo_ok": metrics.tempo_matches(tempo, track.plan.tempo_bpm),
                    "key_ok": metrics.key_matches(key, track.plan.key),
                    "key_or_relative_ok": metrics.key_matches(key, track.plan.key, allow_relative=True),
                    "loudness_error_lu": abs(metrics.integrated_loudness_lufs(x, rate) - track.request.loudness_lufs),
                    "true_peak_dbtp": metrics.true_peak_dbtp(x, rate),
                    "length_error_ms": 1000 * abs(metrics.duration_s(x, rate) - args.duration),
                }
            )
    by_style = {}
    for r in rows:
        by_style.setdefault(r["style"], []).append(r)
    for style, rs in by_style.items():
        print(
            f"{style:<15} tempo {np.mean([r['tempo_ok'] for r in rs]):.0%}  "
            f"key {np.mean([r['key_ok'] for r in rs]):.0%}"
        )
    summary = {
        "pieces": len(rows),
        "tempo_accuracy": round(float(np.mean([r["tempo_ok"] for r in rows])), 3),
        "key_accuracy": round(float(np.mean([r["key_ok"] for r in rows])), 3),
        "key_accuracy_relative_allowed": round(float(np.mean([r["key_or_relative_ok"] for r in rows])), 3),
        "max_loudness_error_lu": round(max(r["loudness_error_lu"] for r in rows), 3),
        "max_true_peak_dbtp": round(max(r["true_peak_dbtp"] for r in rows), 3),
        "max_length_error_ms": round(max(r["length_error_ms"] for r in rows), 4),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
