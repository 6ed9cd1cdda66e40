"""Preference tuning (DPO) of the symbolic Transformer or LSTM on pairs of rated takes.

    python -m mmgen.training.dpo --family transformer [--library ID] [--name liked] [--steps 120]

Each pair is two lead sheets the model wrote (the token ids every take of these engines keeps in
its report: decoder_notes.lead_sheet.tokens), one preferred over the other: an A/B pick in the
studio, or a liked take against a disliked one of the same library. Direct Preference
Optimisation (Rafailov et al., 2023) raises the log-likelihood ratio of the preferred sheet to
the reference model's above the other's:

    loss = -log sigmoid(beta * [(log pi(y_w) - log ref(y_w)) - (log pi(y_l) - log ref(y_l))])
           - sft * log pi(y_w) / len(y_w)

The second term (the chosen sheet's own likelihood, small weight; as in RPO) keeps DPO from
lowering both sheets' likelihood, which would cost the model its fidelity to real music. Only
tokens the model chose are scored: Bar, TimeSig, Dens and EOS tokens are written by the sampler
(symbolic/sampling.py) and say nothing about the model's choices. The reference is the starting
checkpoint (shipped by default); its log-likelihoods are computed once. The result is a personal
checkpoint, <data folder>/models/<name>/symbolic-<family>/ (mmgen/checkpoints.py): the shipped
weights are never written. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..symbolic.tokenizer import LeadSheetTokenizer
from .sequence import HEADER

FAMILIES = ("transformer", "lstm")
FORCED_KINDS = ("Bar", "TimeSig", "Dens", "EOS", "PAD", "BOS")


@dataclass
class Pair:
    chosen: list[int]
    rejected: list[int]
    source: str = ""  # "prefer" | "like/dislike" | "rater"


class NoPairs(ValueError):
    """There is nothing to tune on: no rated pairs of this engine's takes."""


def chosen_mask(tokenizer: LeadSheetTokenizer) -> torch.Tensor:
    """[V] True for the token kinds the model chooses (notes, chords), False for the forced ones."""
    mask = torch.ones(len(tokenizer), dtype=torch.bool)
    for name, i in tokenizer.vocab.items():
        if name.split("_")[0] in FORCED_KINDS:
            mask[i] = False
    return mask


def sequence_logprobs(model, sequences: list[list[int]], context: int, scored: torch.Tensor, pad: int) -> torch.Tensor:
    """[N] summed log-probabilities of each sequence's scored tokens after its header, read in
    consecutive windows of `context` tokens that each start with the header (as in training)."""
    body = context - HEADER
    windows, owners = [], []
    for n, seq in enumerate(sequences):
        for start in range(HEADER, len(seq) - 1, body):
            windows.append(seq[:HEADER] + seq[start : start + body + 1])
            owners.append(n)
    width = max(len(w) for w in windows)
    tokens = torch.full((len(windows), width), pad, dtype=torch.long)
    for r, w in enumerate(windows):
        tokens[r, : len(w)] = torch.tensor(w)
    logits = model(tokens[:, :-1])  # [W, T, V]
    target = tokens[:, 1:]
    logp = torch.log_softmax(logits.float(), dim=-1).gather(-1, target[..., None])[..., 0]  # [W, T]
    keep = scored[target] & (target != pad)
    keep[:, : HEADER - 1] = False  # the header itself is given
    per_window = (logp * keep).sum(1)
    return torch.zeros(len(sequences)).index_add(0, torch.tensor(owners), per_window)


def scored_counts(sequences: list[list[int]], scored: torch.Tensor) -> torch.Tensor:
    """[N] how many tokens of each sequence are scored."""
    return torch.tensor([float(scored[torch.tensor(s[HEADER:])].sum()) for s in sequences]).clamp(min=1)


def tune(
    family: str,
    pairs: list[Pair],
    reference_folder: Path,
    out: Path,
    steps: int = 120,
    batch: int = 8,
    lr: float = 5e-5,
    beta: float = 0.1,
    sft: float = 0.1,
    seed: int = 0,
    source: str = "",
    progress: bool = True,
) -> dict:
    """DPO from the checkpoint in `reference_folder`; exports `out` (a personal checkpoint) and
    returns its training record (with the final pair accuracy and reward margin)."""
    from ..checkpoints import refuse_shipped
    from ..symbolic.models import SequenceConfig, build_model
    from .runs import Run, read_checkpoint

    if not pairs:
        raise NoPairs(f"no rated pairs of symbolic-{family} takes to tune on")
    refuse_shipped(out, family)
    torch.manual_seed(seed)
    info, weights = read_checkpoint(reference_folder)
    config = SequenceConfig(**info["config"])
    tokenizer = LeadSheetTokenizer()
    reference, policy = build_model(config), build_model(config)
    reference.load_state_dict(weights)
    policy.load_state_dict(weights)
    reference.eval()
    policy.eval()  # no dropout: the log-ratios must be exact
    scored = chosen_mask(tokenizer)
    chosen, rejected = [p.chosen for p in pairs], [p.rejected for p in pairs]
    with torch.no_grad():
        ref_chosen = sequence_logprobs(reference, chosen, config.context, scored, tokenizer.pad)
        ref_rejected = sequence_logprobs(reference, rejected, config.context, scored, tokenizer.pad)
    chosen_len = scored_counts(chosen, scored)
    optimizer = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=0.0)
    run = Run(out, policy, {"model": optimizer}, seed, resume=False)
    run.log(f"dpo {family}: {len(pairs)} pairs from {source or 'given pairs'}, beta {beta}, sft {sft}")
    figures: dict = {}
    while run.step < steps:
        index = torch.from_numpy(run.rng.choice(len(pairs), size=min(batch, len(pairs)), replace=False))
        pi_chosen = sequence_logprobs(policy, [chosen[i] for i in index], config.context, scored, tokenizer.pad)
        pi_rejected = sequence_logprobs(policy, [rejected[i] for i in index], config.context, scored, tokenizer.pad)
        margin = (pi_chosen - ref_chosen[index]) - (pi_rejected - ref_rejected[index])
        loss = -F.logsigmoid(beta * margin).mean() - sft * (pi_chosen / chosen_len[index]).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        optimizer.step()
        run.step += 1
        accuracy = (margin > 0).float().mean().item()
        figures = {"loss": loss.item(), "margin": beta * margin.mean().item(), "acc": accuracy}
        if progress and (run.step % 5 == 0 or run.step == steps):
            run.progress(steps, figures)
    record = {
        **info,
        "steps": steps,
        "batch": batch,
        "lr": lr,
        "seed": seed,
        "train_minutes": round(run.minutes, 1),
        "dpo": {
            "beta": beta,
            "sft": sft,
            "pairs": len(pairs),
            "source": source or "given pairs",
            "reference": str(reference_folder),
            "final": {k: round(v, 4) for k, v in figures.items()},
        },
    }
    run.export(record)
    run.checkpoint.unlink(missing_ok=True)  # nothing to resume: a DPO run is short
    return record


# ---- pairs from the track library ------------------------------------------------------------


def lead_tokens(report: dict, family: str) -> list[int] | None:
    """The lead-sheet token ids a take of symbolic-<family> kept in its report, if any."""
    if report.get("decoder") != f"symbolic-{family}":
        return None
    tokens = (report.get("decoder_notes") or {}).get("lead_sheet", {}).get("tokens")
    if not isinstance(tokens, list) or len(tokens) <= HEADER + 1:
        return None
    vocab = len(LeadSheetTokenizer())
    return tokens if all(isinstance(t, int) and 0 <= t < vocab for t in tokens) else None


def library_pairs(store, family: str, library: str | None = None) -> list[Pair]:
    """The rated pairs (mmgen/feedback/pairs.py) whose two takes both kept this family's tokens."""
    from ..feedback.pairs import rated_pairs

    pairs = []
    for pair in rated_pairs(store, library):
        better, worse = lead_tokens(pair.better.report, family), lead_tokens(pair.worse.report, family)
        if better and worse:
            pairs.append(Pair(better, worse, pair.source))
    return pairs


def main(argv: list[str] | None = None) -> None:
    from ..checkpoints import SHIPPED, model_dir, personal_dir
    from ..errors import MmgenError
    from ..library.store import Library

    parser = argparse.ArgumentParser(description="Tune a learned engine on rated takes (DPO).")
    parser.add_argument("--family", choices=FAMILIES, default="transformer")
    parser.add_argument("--library", help="one library's ratings (default: every library's)")
    parser.add_argument("--name", default="liked", help="the name of the weights written (default liked)")
    parser.add_argument("--init-from", default=SHIPPED, metavar="shipped|FOLDER", help="the reference weights")
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--beta", type=float, default=0.1)
    parser.add_argument("--sft", type=float, default=0.1, help="weight of the chosen takes' own likelihood")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        reference = model_dir(args.family) if args.init_from == SHIPPED else Path(args.init_from)
        out = personal_dir(args.name, args.family)
        store = Library()
        pairs = library_pairs(store, args.family, args.library)
        source = f"library {args.library}" if args.library else "every library"
        started = time.time()
        info = tune(
            args.family, pairs, reference, out, args.steps, args.batch, args.lr, args.beta, args.sft, args.seed, source
        )
    except (MmgenError, NoPairs, OSError) as error:
        parser.exit(1, f"error: {error}\n")
    print(file=sys.stderr)
    print(json.dumps({"weights": args.name, "folder": str(out), "pairs": len(pairs), **info["dpo"]}))
    print(f"tuned in {time.time() - started:.0f} s; play it with --weights {args.name}", file=sys.stderr)


if __name__ == "__main__":
    main()
