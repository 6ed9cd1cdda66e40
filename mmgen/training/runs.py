"""What every training script shares: a run folder with a resumable checkpoint, a log, a
progress line, and the export of the shipped files (fp16 weights, config.json, model card)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .cards import write_card


class Run:
    """A training run in `out`: resumes model, optimisers, step, elapsed time and random states
    from out/checkpoint.pt when `resume` is set (so a resumed run equals an uninterrupted one)."""

    def __init__(self, out: Path, model, optimizers: dict, seed: int, resume: bool) -> None:
        self.out, self.model, self.optimizers = out, model, optimizers
        out.mkdir(parents=True, exist_ok=True)
        self.checkpoint = out / "checkpoint.pt"
        self.log_path = out / "train.log"
        self.step, elapsed = 0, 0.0
        self.rng = np.random.default_rng(seed)
        if resume and self.checkpoint.is_file():
            state = torch.load(self.checkpoint, weights_only=False)
            model.load_state_dict(state["model"])
            for name, optimizer in optimizers.items():
                optimizer.load_state_dict(state["optimizers"][name])
            self.step, elapsed = state["step"], state["elapsed"]
            self.rng.bit_generator.state = state["rng"]
            torch.set_rng_state(state["torch_rng"])
        self.started = time.time() - elapsed

    @property
    def minutes(self) -> float:
        return (time.time() - self.started) / 60

    def log(self, line: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as log:
            print(line, file=log)

    def progress(self, steps: int, figures: dict) -> None:
        spent = time.time() - self.started
        done = min(1.0, self.step / max(1, steps))
        bar = "#" * round(20 * done) + "." * (20 - round(20 * done))
        line = (
            f"step {self.step}/{steps} "
            + " ".join(f"{k} {v:.3f}" for k, v in figures.items())
            + f" {spent / 60:.1f} min, eta {(steps - self.step) * spent / max(1, self.step) / 60:.1f} min"
        )
        print(f"\r[{bar}] {done:4.0%} {line}", end="", file=sys.stderr, flush=True)  # a progress bar
        self.log(line)

    def save(self) -> None:
        torch.save(
            {
                "model": self.model.state_dict(),
                "step": self.step,
                "elapsed": time.time() - self.started,
                "optimizers": {name: o.state_dict() for name, o in self.optimizers.items()},
                "rng": self.rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
            },
            self.checkpoint,
        )

    def export(self, info: dict, skip_prefix: str | None = None) -> None:
        """out/model.safetensors (fp16; parameters under `skip_prefix` left out), config.json
        (the training record) and the model card."""
        from safetensors.torch import save_file

        print(file=sys.stderr)
        info["torch_threads"] = torch.get_num_threads()  # --threads 1 runs two trainings side by side
        weights = {
            k: v.detach().to(torch.float16).contiguous()
            for k, v in self.model.state_dict().items()
            if not (skip_prefix and k.startswith(skip_prefix))
        }
        save_file(weights, str(self.out / "model.safetensors"))
        (self.out / "config.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        write_card(self.out, info)
        self.log(f"done after {self.minutes:.1f} min: {json.dumps(info)}")


def read_checkpoint(folder: Path) -> tuple[dict, dict]:
    """(training record, float32 weights) of an exported model folder."""
    from safetensors.torch import load_file

    info = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    weights = {k: v.to(torch.float32) for k, v in load_file(str(folder / "model.safetensors")).items()}
    return info, weights


TUNING_LR_SCALE = 0.1  # --init-from: a tenth of the learning rate the weights were trained with
TUNING_HELD_OUT = 0.2  # --init-from: share of the folder's pieces held out for early stopping


class EarlyStopping:
    """Evaluates `evaluate()` (a held-out figure, lower is better) every `every` steps, keeps the
    model's weights at the best one and says when `patience` evaluations in a row brought no
    improvement."""

    def __init__(self, model, evaluate: Callable[[], float], patience: int, every: int = 1) -> None:
        self.model, self.evaluate, self.patience, self.every = model, evaluate, patience, every
        self.best, self.best_step, self.worse = math.inf, 0, 0
        self.best_state: dict | None = None
        self.history: list[tuple[int, float]] = []

    def should_stop(self, step: int, log: Callable[[str], None] | None = None) -> bool:
        """At step 0 and every `every` steps: evaluate, keep the best, True once patience ran out."""
        if step % self.every:
            return False
        figure = self.evaluate()
        self.history.append((step, round(figure, 4)))
        if log:
            log(f"step {step}: held-out {figure:.4f}")
        if figure < self.best - 1e-4:
            self.best, self.best_step, self.worse = figure, step, 0
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        else:
            self.worse += 1
        return self.worse >= self.patience

    def restore(self) -> None:
        """Put the best weights back into the model."""
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)

    def record(self) -> dict:
        return {"best_step": self.best_step, "best_held_out": round(self.best, 4), "evaluations": self.history}


@dataclass
class Tuning:
    """What `--init-from` asks for: the weights to start from (and their training record), how
    often to evaluate the held-out part, and the patience of early stopping."""

    folder: Path
    info: dict
    weights: dict
    eval_every: int = 25
    patience: int = 4

    def early_stopping(self, model, evaluate: Callable[[], float], run: Run) -> EarlyStopping:
        """Early stopping for this run, its first evaluation (zero-shot: the starting weights) made."""
        stopper = EarlyStopping(model, evaluate, self.patience, self.eval_every)
        stopper.should_stop(run.step, run.log)
        return stopper

    def is_held_out(self, pieces: list) -> Callable:
        from ..symbolic.dataset import tuning_split

        return tuning_split(pieces, TUNING_HELD_OUT)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every training script takes: seed, data, resume, threads, and fine-tuning."""
    from . import corpus

    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--collections",
        help=f"default {','.join(corpus.SHIPPED_COLLECTIONS)}; with --init-from and --midi-folder: the folder alone",
    )
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--midi-folder", help="also train on every MIDI file under this folder")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's choice)")
    parser.add_argument(
        "--init-from",
        metavar="shipped|FOLDER",
        help="fine-tune these weights instead of training from scratch (a tenth of the learning rate, early "
        f"stopping on {TUNING_HELD_OUT:.0%} of the pieces held out); writes your own weights (--name)",
    )
    parser.add_argument("--name", default="mine", help="with --init-from: the name of your weights (default mine)")
    parser.add_argument("--patience", type=int, default=4, help="with --init-from: evaluations without improvement")
    parser.add_argument("--eval-every", type=int, default=25, help="with --init-from: steps between evaluations")


def tuning_from_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace, family: str) -> Tuning | None:
    """The Tuning `--init-from` asks for (None without it); resolves --out (your own weights'
    folder, never the shipped one) and --lr (a tenth of the starting weights' unless given). A usage error
    (exit 2) when the weights cannot be read."""
    from ..checkpoints import SHIPPED, model_dir, personal_dir, refuse_shipped
    from ..errors import InvalidRequest
    from . import corpus

    if args.collections is None:
        tuning_on_folder = bool(args.init_from and args.midi_folder)
        args.collections = "" if tuning_on_folder else ",".join(corpus.SHIPPED_COLLECTIONS)
    if not args.init_from:
        args.out = args.out or model_dir(family)
        args.lr = args.lr or args.default_lr
        return None
    try:
        folder = model_dir(family) if args.init_from == SHIPPED else Path(args.init_from)
        args.out = args.out or personal_dir(args.name, family)
        refuse_shipped(args.out, family)
        info, weights = read_checkpoint(folder)
    except InvalidRequest as error:
        parser.error(str(error))
    except (OSError, ValueError, KeyError) as error:
        parser.error(f"cannot read the weights to start from in {folder}: {error}")
    if info.get("family") != family:
        parser.error(f"{folder} holds symbolic-{info.get('family')} weights, not symbolic-{family}")
    args.lr = args.lr or float(info.get("lr", args.default_lr)) * TUNING_LR_SCALE
    return Tuning(folder, info, weights, max(1, args.eval_every), max(1, args.patience))


def run_from_arguments(
    parser: argparse.ArgumentParser, args: argparse.Namespace, train: Callable[[tuple[str, ...], list | None], dict]
) -> None:
    """Set the threads, read the data the flags name and call `train(collections, pieces)`;
    data that cannot be trained on is a one-line usage error (exit 2), nothing written."""
    from . import corpus

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        collections, pieces = corpus.training_data(args.collections, args.midi_folder)
    except corpus.NoTrainingData as error:
        parser.error(str(error))
    if args.midi_folder:  # every later take is checked against the folder's tunes too
        from ..originality.index import index_folder

        index_folder([p for p in pieces if p.collection == "midi"], Path(args.midi_folder).expanduser().resolve())
    info = train(collections, pieces)
    print(json.dumps(info))
