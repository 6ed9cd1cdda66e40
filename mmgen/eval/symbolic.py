"""Symbolic-music metrics and the comparison of the embedded decoders.

Metrics are computed on melodies (the part the learned models write), as lists of
(onset_q, duration_q, pitch) with onsets in quarter notes from the first bar line:
- pitch-class histogram distance: Jensen-Shannon divergence (bits, 0..1) between the
  key-relative pitch-class histogram of the generated melodies and of held-out corpus pieces;
- note-density distance: the 1-D Wasserstein distance between notes-per-beat of their bars;
- in-key ratio: the share of notes in the key's scale (minor also allows the raised 6th, 7th),
  as decoded (key-aware) and from the model alone (`in_key` off: what the model itself picks);
- rhythmic regularity (groove consistency): 1 - the mean Hamming distance between the onset
  patterns (16th-note grid) of successive bars;
- diversity: 1 - the mean overlap of the (onset, pitch) sets of two seeds' melodies for one plan.

The accompaniment (the bass and chords parts: the composer's rules, or the GAN's learned
voices) is measured against the harmony of each bar: the share of notes that are tones of the
bar's chord, the share in the key, and the bass's mean step (semitones between successive notes),
next to the same figures for the held-out chorales' bass and inner voices.

``python -m mmgen.eval.symbolic [--plans N] [--out FILE]`` writes the comparison tables.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..checkpoints import model_dir
from ..music import Key

Melody = list[tuple[float, float, int]]
MODEL_ALONE = SimpleNamespace(temperature=1.0, top_p=1.0, in_key=False)  # sampling without key-aware decoding
ACCOMPANISTS = ("composer", "symbolic-gan")  # the decoders that write their own bass and chords parts


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
    scale = key.in_key_pcs()
    return sum(p % 12 in scale for _, _, p in melody) / len(melody) if melody else 0.0


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
    return _part_notes(score, plan, "melody")


def chord_tone_ratio(notes: Melody, bar_chords: list[set[int]], bar_q: float) -> float:
    """The share of notes (onsets in quarter notes from bar 0's line) whose pitch class is a
    tone of their bar's chord."""
    inside = [n[2] % 12 in bar_chords[min(len(bar_chords) - 1, max(0, int(n[0] // bar_q)))] for n in notes]
    return sum(inside) / len(inside) if inside else 0.0


def mean_step(notes: Melody) -> float:
    """Mean absolute interval (semitones) between successive onsets of a line (the lowest note
    of each onset)."""
    lowest: dict[float, int] = {}
    for onset, _, pitch in notes:
        lowest[round(onset, 3)] = min(pitch, lowest.get(round(onset, 3), 999))
    line = [lowest[o] for o in sorted(lowest)]
    return float(np.mean(np.abs(np.diff(line)))) if len(line) > 1 else 0.0


def accompaniment_reference(pieces) -> dict:
    """The chord-tone and key shares and the bass step of the held-out chorales' bass and inner
    voices (chords read from all four voices, as in training)."""
    from ..symbolic.dataset import bar_frame, chord_tones, piece_bars

    figures: dict[str, list[float]] = {
        "bass_chord": [],
        "bass_key": [],
        "bass_step": [],
        "inner_chord": [],
        "inner_key": [],
    }
    for p in pieces:
        if "bass" not in p.parts:
            continue
        key, shift = Key(p.tonic_pc, p.mode), bar_frame(p)[0]
        chords = [chord_tones(bar.chord, key) for bar in piece_bars(p)]
        bass = [(o + shift, d, n) for o, d, n in p.parts["bass"]]
        inner = [(o + shift, d, n) for role in ("alto", "tenor") for o, d, n in p.parts.get(role, ())]
        figures["bass_chord"].append(chord_tone_ratio(bass, chords, p.bar_q))
        figures["bass_key"].append(in_key_ratio(bass, key))
        figures["bass_step"].append(mean_step(bass))
        figures["inner_chord"].append(chord_tone_ratio(inner, chords, p.bar_q))
        figures["inner_key"].append(in_key_ratio(inner, key))
    return {k: round(float(np.mean(v)), 4) for k, v in figures.items()} | {"pieces": len(figures["bass_key"])}


def held_out_reference(rebuild: bool = False) -> dict:
    """{"pch": [12], "densities": [...], "pieces": n} of the held-out corpus melodies, kept in
    assets/models/reference.json so evaluation needs no corpus parse."""
    import json

    from ..paths import ASSETS

    path = ASSETS / "models" / "reference.json"
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
    reference = {
        "pch": list(hist / hist.sum()),
        "densities": [round(d, 4) for d in densities],
        "pieces": len(pieces),
        "source": "held-out pieces of " + ", ".join(corpus.SHIPPED_COLLECTIONS),
        "accompaniment": accompaniment_reference(pieces),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(reference) + "\n", encoding="utf-8")
    return reference


def evaluate(decoders: list[str], plans_count: int, seeds: int = 2, duration_s: float = 30.0) -> list[dict]:
    from scipy.stats import wasserstein_distance

    from ..registry import get

    reference = held_out_reference()
    reference_hist, reference_density = np.asarray(reference["pch"]), reference["densities"]
    plans = _plans(plans_count, duration_s)
    rows = []
    for name in decoders:
        decoder = get("decoder", name)
        hist, densities, in_key, in_key_alone, groove, diversity, seconds = np.zeros(12), [], [], [], [], [], []
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
                model_alone = decoder.decode(plan, seed, sampling=MODEL_ALONE) if name != "composer" else score
                in_key_alone.append(in_key_ratio(melody_of(model_alone, plan), plan.key))
                groove.append(groove_consistency(melody, bar_q))
            diversity += [1 - overlap(a, b) for a, b in itertools.combinations(melodies, 2)]
        nll = _held_out_nll(name)
        rows.append(
            {
                "decoder": name,
                "held_out_nll": nll,
                "pch_js": js_divergence(hist / max(hist.sum(), 1e-9) + 1e-9, reference_hist + 1e-9),
                "density_w1": float(wasserstein_distance(densities, reference_density)),
                "in_key": float(np.mean(in_key)),
                "in_key_model_alone": float(np.mean(in_key_alone)),
                "groove": float(np.mean(groove)),
                "diversity": float(np.mean(diversity)),
                "seconds_per_30s": float(np.median(seconds)),
            }
        )
    return rows


def evaluate_accompaniment(
    decoders: list[str], plans_count: int, seeds: int = 2, duration_s: float = 30.0
) -> list[dict]:
    """The accompaniment figures of each decoder's bass and chords parts (see the module's doc)."""
    import random

    from ..decoders.composer import Arrangement, composer_style
    from ..registry import get

    plans = _plans(plans_count, duration_s)
    rows = []
    for name in decoders:
        decoder, figures = get("decoder", name), {}
        for plan in plans:
            bar_q = plan.meter.beats_per_bar * plan.meter.quarters_per_beat
            for seed in range(seeds):
                score = decoder.decode(plan, seed)
                arrangement = Arrangement(plan, composer_style(plan), random.Random(f"composer:{seed}"))
                chords = [set(c.pitch_classes()) for c in arrangement.chords_per_bar()]
                for role in ("bass", "chords"):
                    notes = _part_notes(score, plan, role)
                    if not notes:
                        continue
                    figures.setdefault(f"{role}_chord", []).append(chord_tone_ratio(notes, chords, bar_q))
                    figures.setdefault(f"{role}_key", []).append(in_key_ratio(notes, plan.key))
                    if role == "bass":
                        figures.setdefault("bass_step", []).append(mean_step(notes))
        rows.append({"decoder": name} | {k: float(np.mean(v)) for k, v in figures.items()})
    return rows


def accompaniment_table(rows: list[dict], reference: dict) -> str:
    lines = [
        "| bass and chords parts of | bass: chord tones ↑ | bass: in key ↑ | bass: mean step (semitones) "
        "| chords: chord tones ↑ | chords: in key ↑ |",
        "|---|---|---|---|---|---|",
    ]
    held_out = {
        "decoder": f"held-out chorales ({reference['pieces']}; bass, alto + tenor)",
        **{k.replace("inner", "chords"): v for k, v in reference.items()},
    }
    for r in rows + [held_out]:
        lines.append(
            f"| {r['decoder']} | {r['bass_chord']:.3f} | {r['bass_key']:.3f} | {r['bass_step']:.2f} "
            f"| {r['chords_chord']:.3f} | {r['chords_key']:.3f} |"
        )
    return "\n".join(lines)


def _plans(count: int, duration_s: float) -> list:
    """The first `count` of PROMPTS as plans."""
    from ..pipeline import make_plan
    from ..request import GenerationRequest

    return [
        make_plan(GenerationRequest(prompt=p, key=k, meter=m, duration_s=duration_s, seed=i))
        for i, (p, k, m) in enumerate(PROMPTS[:count])
    ]


def _part_notes(score, plan, role: str) -> Melody:
    """One part of a score as (onset_q from bar 0's line, duration_q, pitch)."""
    part = next((p for p in score.parts if p.name == role), None)
    qpb = plan.meter.quarters_per_beat
    return (
        []
        if part is None
        else sorted(
            ((n.start_beat + plan.pickup_offset_beats) * qpb, n.duration_beats * qpb, n.pitch) for n in part.notes
        )
    )


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
    lines = [
        "| decoder | held-out NLL (nats) | PCH JS ↓ | density W1 ↓ | in-key ↑ | in-key, model alone "
        "| groove | diversity ↑ | s per 30 s score |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        nll = r["held_out_nll"] or "—"
        lines.append(
            f"| {r['decoder']} | {nll} | {r['pch_js']:.3f} | {r['density_w1']:.3f} | {r['in_key']:.3f} "
            f"| {r['in_key_model_alone']:.3f} | {r['groove']:.3f} | {r['diversity']:.3f} "
            f"| {r['seconds_per_30s']:.2f} |"
        )
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
    accompaniment = evaluate_accompaniment([n for n in names if n in ACCOMPANISTS], args.plans, args.seeds)
    text = table(rows) + "\n\n" + accompaniment_table(accompaniment, held_out_reference()["accompaniment"])
    for row in rows:  # the accompaniment figures go into the model cards too
        row.update(next((a for a in accompaniment if a["decoder"] == row["decoder"]), {}))
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
                write_card(model_dir(family), info, row)
    print(f"({args.plans} plans x {args.seeds} seeds, 30 s each; reference: held-out corpus melodies)", file=sys.stderr)


if __name__ == "__main__":
    main()
