"""What every training script shares: a run folder with a resumable checkpoint, a log, a
progress line, and the export of the shipped files (fp16 weights, config.json, model card)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
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
        line = (
            f"step {self.step}/{steps} "
            + " ".join(f"{k} {v:.3f}" for k, v in figures.items())
            + f" {spent / 60:.1f} min, eta {(steps - self.step) * spent / max(1, self.step) / 60:.1f} min"
        )
        print("\r" + line, end="", file=sys.stderr, flush=True)
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


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every training script takes: seed, data, resume, threads."""
    from . import corpus

    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--collections", default=",".join(corpus.SHIPPED_COLLECTIONS))
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--midi-folder", help="also train on every MIDI file under this folder")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's choice)")


def run_from_arguments(
    parser: argparse.ArgumentParser, args: argparse.Namespace, train: Callable[[tuple[str, ...], list | None], dict]
) -> None:
    """Set the threads, read the data the flags name and call `train(collections, pieces)`;
    data that cannot be trained on is a one-line usage error (exit 2), nothing written."""
    from . import corpus

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        info = train(*corpus.training_data(args.collections, args.midi_folder))
    except corpus.NoTrainingData as error:
        parser.error(str(error))
    print(json.dumps(info))
