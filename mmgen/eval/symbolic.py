"""Symbolic-music metrics and the comparison of the embedded decoders.

Metrics are computed on melodies (the part the learned models write), as lists of
(onset_q, duration_q, pitch) with onsets in quarter notes from the first bar line:
- pitch-class histogram distance: Jensen-Shannon divergence (bits, 0..1) between the
  key-relative pitch-class histogram of the generated melodies and of held-out corpus pieces;
- note-density distance: the 1-D Wasserstein distance between notes-per-beat of their bars;
- in-key ratio: the share of notes in the key's scale (minor also allows the raised 6th, 7th);
- rhythmic regularity (groove consistency): 1 - the mean Hamming distance between the onset
  patterns (16th-note grid) of successive bars;
- diversity: 1 - the mean overlap of the (onset, pitch) sets of two seeds' melodies for one plan.

``python -m mmgen.eval.symbolic [--plans N] [--out FILE]`` writes the comparison table.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

from ..music import Key

Melody = list[tuple[float, float, int]]
MINOR_EXTRA = (9, 11)  # raised 6th and 7th above the tonic


def pitch_class_histogram(melody: Melody, key: Key) -> np.ndarray:
    """[12] duration-weighted, relative to the tonic, summing to 1 (zeros for no notes)."""
    hist = np.zeros(12)
    for _, duration, pitch in melody:
        hist[(pitch - key.tonic_pc) % 12] += duration
    return hist / hist.sum() if hist.sum() else hist


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl(a, b):
        mask = a > 0
        return float((a[mask] * np.log2(a[mask] / b[mask])).sum())

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def in_key_ratio(melody: Melody, key: Key) -> float:
    scale = {(pc - key.tonic_pc) % 12 for pc in key.scale_pcs()}
    if key.mode == "minor":
        scale |= set(MINOR_EXTRA)
    notes = [(p - key.tonic_pc) % 12 for _, _, p in melody]
    return sum(n in scale for n in notes) / len(notes) if notes else 0.0


def bar_densities(melody: Melody, bar_q: float, beats_per_bar: int) -> list[float]:
    """Notes per counted beat in each bar from the first to the last note."""
    if not melody:
        return []
    bars = int(max(o for o, _, _ in melody) // bar_q) + 1
    counts = np.zeros(bars)
    for onset, _, _ in melody:
        if onset >= 0:
            counts[int(onset // bar_q)] += 1
    return list(counts / beats_per_bar)


def groove_consistency(melody: Melody, bar_q: float) -> float:
    steps = max(1, round(bar_q * 4))
    bars = int(max((o for o, _, _ in melody), default=0) // bar_q) + 1
    grid = np.zeros((bars, steps), dtype=bool)
    for onset, _, _ in melody:
        if onset >= 0:
            grid[int(onset // bar_q), min(steps - 1, round((onset % bar_q) * 4))] = True
    if bars < 2:
        return 1.0
    return float(1 - np.mean([np.mean(grid[i] != grid[i + 1]) for i in range(bars - 1)]))


def overlap(a: Melody, b: Melody) -> float:
    sa, sb = {(round(o, 2), p) for o, _, p in a}, {(round(o, 2), p) for o, _, p in b}
    return len(sa & sb) / max(1, min(len(sa), len(sb)))


# ---- the comparison ------------------------------------------------------------------------------

PROMPTS = (  # (prompt, key, meter): a spread of keys, modes, meters, styles
    ("a cheerful folk tune for a travel vlog", "D major", "6/8"),
    ("calm piano for a cooking video", "F major", "3/4"),
    ("sad cinematic strings", "A minor", "4/4"),
    ("upbeat pop for a product launch", "G major", "4/4"),
    ("dark ambient drone", "E minor", "4/4"),
    ("lively celtic jig", "A minor", "6/8"),
    ("gentle waltz", "Bb major", "3/4"),
    ("energetic rock", "C minor", "4/4"),
)


def melody_of(score, plan) -> Melody:
    """The melody part of a score as (onset_q from bar 0's line, duration_q, pitch)."""
    part = next((p for p in score.parts if p.name == "melody"), None)
    qpb = plan.meter.quarters_per_beat
    if part is None:
        return []
    return sorted(((n.start_beat + plan.pickup_offset_beats) * qpb, n.duration_beats * qpb, n.pitch)
                  for n in part.notes)


def held_out_reference(rebuild: bool = False) -> dict:
    """{"pch": [12], "densities": [...], "pieces": n} of the held-out corpus melodies, kept in
    assets/models/reference.json so evaluation needs no corpus parse."""
    import json

    from ..decoders.learned import MODELS

    path = MODELS / "reference.json"
    if path.is_file() and not rebuild:
        return json.loads(path.read_text(encoding="utf-8"))
    from ..symbolic.dataset import beats_per_bar, held_out
    from ..training import corpus

    pieces = [p for p in corpus.load() if held_out(p)]
    hist, densities = np.zeros(12), []
    for p in pieces:
        melody = [tuple(n) for n in p.parts["melody"]]
        hist += pitch_class_histogram(melody, Key(p.tonic_pc, p.mode))
        shift = p.bar_q if melody[0][0] < 0 else 0.0
        densities += bar_densities([(o + shift, d, n) for o, d, n in melody], p.bar_q, beats_per_bar(p.meter))
    reference = {"pch": list(hist / hist.sum()), "densities": [round(d, 4) for d in densities],
                 "pieces": len(pieces), "source": "held-out pieces of " + ", ".join(corpus.SHIPPED_COLLECTIONS)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(reference) + "\n", encoding="utf-8")
    return reference


def evaluate(decoders: list[str], plans_count: int, seeds: int = 2, duration_s: float = 30.0) -> list[dict]:
    from scipy.stats import wasserstein_distance

    from ..pipeline import make_plan
    from ..registry import get
    from ..request import GenerationRequest

    reference = held_out_reference()
    reference_hist, reference_density = np.asarray(reference["pch"]), reference["densities"]
    plans = [make_plan(GenerationRequest(prompt=p, key=k, meter=m, duration_s=duration_s, seed=i))
             for i, (p, k, m) in enumerate(PROMPTS[:plans_count])]
    rows = []
    for name in decoders:
        decoder = get("decoder", name)
        hist, densities, in_key, groove, diversity, seconds = np.zeros(12), [], [], [], [], []
        for plan in plans:
            melodies = []
            for seed in range(seeds):
                started = time.perf_counter()
                score = decoder.decode(plan, seed)
                seconds.append(time.perf_counter() - started)
                melody = melody_of(score, plan)
                melodies.append(melody)
                hist += pitch_class_histogram(melody, plan.key)
                bar_q = plan.meter.beats_per_bar * plan.meter.quarters_per_beat
                densities += bar_densities(melody, bar_q, plan.meter.beats_per_bar)
                in_key.append(in_key_ratio(melody, plan.key))
                groove.append(groove_consistency(melody, bar_q))
            diversity += [1 - overlap(a, b) for a, b in itertools.combinations(melodies, 2)]
        nll = _held_out_nll(name)
        rows.append({
            "decoder": name, "held_out_nll": nll,
            "pch_js": js_divergence(hist / max(hist.sum(), 1e-9) + 1e-9, reference_hist + 1e-9),
            "density_w1": float(wasserstein_distance(densities, reference_density)),
            "in_key": float(np.mean(in_key)), "groove": float(np.mean(groove)),
            "diversity": float(np.mean(diversity)), "seconds_per_30s": float(np.median(seconds)),
        })
    return rows


def _held_out_nll(name: str) -> str | None:
    """The training record's held-out likelihood figure, with its unit (None for the composer)."""
    if not name.startswith("symbolic-"):
        return None
    family = name.split("-", 1)[1]
    if family in ("transformer", "lstm"):
        from ..decoders.learned import load

        nll = load(family)[2].get("held_out_nll")
        return f"{nll:.3f} per token" if nll is not None else "n/a (nothing held out)"
    from ..decoders.grid import load as load_grid

    info = load_grid(family)[1]
    if "held_out_nll_bound" in info:
        return f"≤ {info['held_out_nll_bound']:.3f} per 16th (ELBO)"
    if "held_out_denoising_ce" in info:
        return f"n/a (denoising CE {info['held_out_denoising_ce']:.3f} per 16th)"
    return "n/a (no likelihood)"


def table(rows: list[dict]) -> str:
    lines = ["| decoder | held-out NLL (nats) | PCH JS ↓ | density W1 ↓ | in-key ↑ | groove | diversity ↑ "
             "| s per 30 s score |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        nll = r["held_out_nll"] or "—"
        lines.append(f"| {r['decoder']} | {nll} | {r['pch_js']:.3f} | {r['density_w1']:.3f} | {r['in_key']:.3f} "
                     f"| {r['groove']:.3f} | {r['diversity']:.3f} | {r['seconds_per_30s']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from ..registry import entries

    parser = argparse.ArgumentParser(description="Compare the embedded decoders on symbolic metrics.")
    parser.add_argument("--plans", type=int, default=len(PROMPTS))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cards", action="store_true", help="write each learned model's row into its model card")
    args = parser.parse_args(argv)
    names = [e.name for e in entries("decoder") if e.offline and e.check().ok]
    rows = evaluate(names, args.plans, args.seeds)
    text = table(rows)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.cards:
        from ..decoders import grid, learned
        from ..training.cards import write_card

        for row in rows:
            if row["decoder"].startswith("symbolic-"):
                family = row["decoder"].split("-", 1)[1]
                info = learned.load(family)[2] if family in ("transformer", "lstm") else grid.load(family)[1]
                write_card(learned.model_dir(family), info, row)
    print(f"({args.plans} plans x {args.seeds} seeds, 30 s each; reference: held-out corpus melodies)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
