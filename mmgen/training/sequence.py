"""Train a lead-sheet sequence model (Transformer or LSTM with attention) on the corpus.

    python -m mmgen.training.transformer [--steps N] [--out DIR] [--resume]
    python -m mmgen.training.lstm ...

Each example is the piece's four header tokens (key, style, tempo) followed by a window of its
bars starting at a bar line, transposed by a random interval (the key token moves with it).
Deterministic for a seed and step count; `--resume` continues from the last checkpoint in DIR.
Writes DIR/model.safetensors (fp16), DIR/config.json and DIR/train.log.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..paths import ASSETS
from ..symbolic.models import SequenceConfig, build_model
from ..symbolic.tokenizer import PITCH_RANGE, LeadSheetTokenizer
from . import corpus
from .runs import Run, Tuning, add_run_arguments, run_from_arguments, tuning_from_arguments

MODELS = ASSETS / "models"
HEADER = 4


class Windows:
    """Random training windows: header + bars from a bar line, transposed on the fly."""

    def __init__(self, tokenizer: LeadSheetTokenizer, sequences: list[list[int]], context: int) -> None:
        self.sequences = [np.asarray(s, dtype=np.int64) for s in sequences]
        self.context = context
        self.bar_starts = [np.flatnonzero(s == tokenizer.bar) for s in self.sequences]
        weights = np.array([len(s) for s in self.sequences], dtype=np.float64)
        self.weights = weights / weights.sum()  # longer pieces hold more windows
        # id maps [25, V] for shifts -12..12: pitch and key tokens move, the rest stay.
        vocab = len(tokenizer)
        self.shift_map = np.tile(np.arange(vocab), (25, 1))
        self.valid = np.ones((25, vocab), dtype=bool)
        for name, i in tokenizer.vocab.items():
            kind, _, value = name.partition("_")
            for shift in range(-12, 13):
                if kind == "Pitch":
                    pitch = int(value) + shift
                    if PITCH_RANGE[0] <= pitch < PITCH_RANGE[1]:
                        self.shift_map[shift + 12, i] = tokenizer.vocab[f"Pitch_{pitch}"]
                    else:
                        self.valid[shift + 12, i] = False
                elif kind == "Key":
                    pc, mode = value.split("_")
                    self.shift_map[shift + 12, i] = tokenizer.vocab[f"Key_{(int(pc) + shift) % 12}_{mode}"]
        self.pad = tokenizer.pad

    def window(self, index: int, rng: np.random.Generator, start_bar: int | None = None) -> np.ndarray:
        seq, starts = self.sequences[index], self.bar_starts[index]
        body = self.context + 1 - HEADER
        if start_bar is None:
            fits = starts[starts <= max(HEADER, len(seq) - body)]
            start = int(rng.choice(fits)) if len(fits) else HEADER
        else:
            start = int(starts[start_bar])
        return np.concatenate([seq[:HEADER], seq[start : start + body]])

    def transposed(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for shift in rng.permutation(np.arange(-6, 6)):
            for s in (shift, shift - 12 if shift > 0 else shift + 12):
                if self.valid[s + 12, tokens].all():
                    return self.shift_map[s + 12, tokens]
        return tokens

    def batch(self, size: int, rng: np.random.Generator) -> torch.Tensor:
        rows = np.full((size, self.context + 1), self.pad, dtype=np.int64)
        for r, index in enumerate(rng.choice(len(self.sequences), size=size, p=self.weights)):
            tokens = self.transposed(self.window(index, rng), rng)
            rows[r, : len(tokens)] = tokens
        return torch.from_numpy(rows)


def loss_of(model, tokens: torch.Tensor, pad: int) -> torch.Tensor:
    logits = model(tokens[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1), ignore_index=pad)


@torch.no_grad()
def held_out_nll(model, tokenizer: LeadSheetTokenizer, sequences: list[list[int]], context: int) -> float:
    """Mean negative log-likelihood per token (nats) over held-out pieces, untransposed, read in
    consecutive windows (each with the header)."""
    model.eval()
    total, count = 0.0, 0
    body = context - HEADER
    for seq in sequences:
        seq = list(seq)
        for start in range(HEADER, len(seq) - 1, body):
            tokens = torch.tensor([seq[:HEADER] + seq[start : start + body + 1]])
            logits = model(tokens[:, :-1])
            target = tokens[:, 1:]
            nll = F.cross_entropy(logits[0], target[0], reduction="none")
            skip = HEADER - 1 if start > HEADER else 0  # header tokens are scored once per piece
            total += float(nll[skip:].sum())
            count += int(nll[skip:].numel())
    model.train()
    return total / max(1, count)


def train(
    family: str,
    out: Path,
    steps: int,
    batch: int,
    seed: int,
    resume: bool,
    config: SequenceConfig,
    lr: float,
    collections: tuple[str, ...],
    log_every: int = 20,
    pieces: list[corpus.Piece] | None = None,
    tuning: Tuning | None = None,
) -> dict:
    """Train (or resume) and export; returns the training record that goes into config.json.
    `pieces` replaces the corpus (tests train on a handful of tunes). With `tuning` the model
    starts from its weights (and their config, not `config`), a share of the pieces is held out
    and the best weights by held-out NLL are exported, stopping early (runs.EarlyStopping)."""
    from ..symbolic.dataset import held_out, split_sequences

    torch.manual_seed(seed)
    tokenizer = LeadSheetTokenizer()
    pieces = corpus.load(collections) if pieces is None else pieces
    if tuning is not None:
        config = SequenceConfig(**tuning.info["config"])
    train_seqs, test_seqs = split_sequences(tokenizer, pieces, tuning.is_held_out(pieces) if tuning else held_out)
    if not train_seqs:
        raise corpus.NoTrainingData(
            "no piece to train on (the sequence models read 2/4, 3/4, 4/4, 3/8, 6/8, 9/8 and 12/8)"
        )
    data = Windows(tokenizer, train_seqs, config.context)
    model = build_model(config)
    if tuning is not None:
        model.load_state_dict(tuning.weights)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    run = Run(out, model, {"model": optimizer}, seed, resume)

    def evaluate() -> float:
        return held_out_nll(model, tokenizer, test_seqs, config.context)

    stopper = tuning.early_stopping(model, evaluate, run) if tuning is not None and test_seqs else None
    params = sum(p.numel() for p in model.parameters())
    run.log(
        f"{family}: {params / 1e6:.2f}M parameters, {len(train_seqs)} train / {len(test_seqs)} held-out "
        f"pieces, {sum(map(len, train_seqs)) / 1e6:.2f}M tokens"
    )
    warmup, running = max(1, min(200, steps // 10)), None
    model.train()
    while run.step < steps:
        rate = lr * min(1.0, (run.step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * run.step / steps)))
        for group in optimizer.param_groups:
            group["lr"] = rate
        loss = loss_of(model, data.batch(batch, run.rng), tokenizer.pad)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        run.step += 1
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if run.step % log_every == 0 or run.step == steps:
            run.progress(steps, {"loss": running, "lr": rate})
        if run.step % 200 == 0 or run.step == steps:
            run.save()
        if stopper is not None and stopper.should_stop(run.step, run.log):
            break
    if stopper is not None:
        stopper.restore()
    info = {
        "family": family,
        "config": config.to_dict(),
        "steps": steps,
        "batch": batch,
        "seed": seed,
        "lr": lr,
        "collections": list(collections),
        "train_pieces": len(train_seqs),
        "held_out_pieces": len(test_seqs),
        "parameters": params,
        "train_minutes": round(run.minutes, 1),
        "vocab": len(tokenizer),
    }
    if tuning is not None:
        info |= {"init_from": str(tuning.folder), "stopped_at_step": run.step}
        info |= stopper.record() if stopper else {}
    if test_seqs:  # a small MIDI folder may leave nothing held out
        info["held_out_nll"] = round(evaluate(), 4)
    run.export(info)
    return info


def main(family: str, argv: list[str] | None = None, **defaults) -> None:
    parser = argparse.ArgumentParser(description=f"Train the {family} lead-sheet model.")
    parser.add_argument("--out", type=Path, help=f"default {MODELS}/symbolic-{family}, with --init-from your own")
    parser.add_argument("--steps", type=int, default=defaults.get("steps", 1500))
    parser.add_argument("--batch", type=int, default=defaults.get("batch", 16))
    parser.add_argument("--context", type=int, default=defaults.get("context", 384))
    parser.add_argument("--dim", type=int, default=defaults.get("dim", 256))
    parser.add_argument("--layers", type=int, default=defaults.get("layers", 4))
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--lr", type=float)
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    args.default_lr = defaults.get("lr", 1e-3)
    tuning = tuning_from_arguments(parser, args, family)
    tokenizer = LeadSheetTokenizer()
    config = SequenceConfig(family, len(tokenizer), args.dim, args.layers, args.heads, context=args.context)
    run_from_arguments(
        parser,
        args,
        lambda collections, pieces: train(
            family,
            args.out,
            args.steps,
            args.batch,
            args.seed,
            args.resume,
            config,
            args.lr,
            collections,
            pieces=pieces,
            tuning=tuning,
        ),
    )
