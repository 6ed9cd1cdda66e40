"""Is the planned key the key heard? Each embedded decoder's tracks for six prompts in D, F, B♭
major and A, C, E minor, two seeds each, rendered (SoundFont) and mastered, then the key is
estimated from the audio (chromagram + Krumhansl-Kessler, mmgen.eval.metrics) and compared with the
plan. The learned decoders are run twice side by side: key-aware decoding (what the product does)
and the model alone (`in_key` off).

    python benchmarks/key_heard.py [--seeds 2] [--duration 30] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CASES = (
    ("a cheerful folk tune for a travel vlog", "D major"),
    ("calm piano for a cooking video", "F major"),
    ("gentle waltz", "Bb major"),
    ("sad cinematic strings", "A minor"),
    ("energetic rock", "C minor"),
    ("dark ambient drone", "E minor"),
)


def heard(decoder, plan, seed: int, sampling) -> tuple[str, bool]:
    """(the key heard, whether it is the planned one) of one rendered, mastered track."""
    from mmgen import registry
    from mmgen.eval import metrics
    from mmgen.post.master import master

    tokens = decoder.decode(plan, seed, sampling=sampling) if sampling else decoder.decode(plan, seed)
    wave = registry.get("codec", decoder.default_codec).decode(tokens)
    audio, _ = master(wave)
    key, _ = metrics.estimate_key(audio.samples, audio.sample_rate_hz)
    return key.name, metrics.key_matches(key, plan.key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from mmgen import registry
    from mmgen.eval.symbolic import MODEL_ALONE
    from mmgen.pipeline import make_plan
    from mmgen.request import GenerationRequest

    plans = [
        make_plan(GenerationRequest(prompt=prompt, key=key, duration_s=args.duration, seed=i))
        for i, (prompt, key) in enumerate(CASES)
    ]
    names = [e.name for e in registry.entries("decoder") if e.offline and e.check().ok]
    settings = {"key-aware": None, "model alone": MODEL_ALONE}  # None: the decoders' defaults (key-aware)
    lines = [
        "| decoder | planned key heard, key-aware | model alone | misses (key-aware: planned → heard) |",
        "|---|---|---|---|",
    ]
    for name in names:
        decoder, counts, misses = registry.get("decoder", name), {}, []
        for label, sampling in settings.items():
            if name == "composer" and label == "model alone":
                continue
            hits = 0
            for plan in plans:
                for seed in range(args.seeds):
                    key, ok = heard(decoder, plan, seed, sampling)
                    hits += ok
                    if not ok and label == "key-aware":
                        misses.append(f"{plan.key.name} → {key}")
            counts[label] = f"{hits} of {len(plans) * args.seeds}"
        lines.append(f"| {name} | {counts['key-aware']} | {counts.get('model alone', '—')} | {', '.join(misses)} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines)
    print("\n" + text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
