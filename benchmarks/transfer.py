"""Transfer learning: each learned family on a small folder of pieces the shipped models never saw.

The folder is a slice of the Essen folksong collection (German folk songs: the first `--files`
files of the music21 corpus's essenFolksong; the shipped weights are trained on O'Neill's, Ryan's
and the Bach chorales only, and Essen's terms are non-commercial, so nothing trained here ships).
20% of its pieces are held out (the split `--init-from` uses). Per family, on those held-out
pieces: the shipped weights zero-shot, fine-tuned from them (`--init-from shipped`: a tenth of
the learning rate, early stopping), and the same model trained from scratch on the folder alone
(the training learning rate, the same held-out split and early stopping), with the training time
on this CPU. Figures: the sequence models' NLL (nats per token), the VAE's negative ELBO (a bound
of the NLL, nats per grid step), the diffusion model's denoising cross-entropy. The GAN is left
out: it has no likelihood, and its critic (not shipped) starts afresh in every run, so its
estimate compares nothing (it fine-tunes without early stopping; tests/test_tuning.py runs it).

    python benchmarks/transfer.py [--files 4] [--steps 300] [--families transformer,lstm,vae,diffusion]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

SEQUENCE = ("transformer", "lstm")
BATCH = {"transformer": 24, "lstm": 24, "vae": 64, "diffusion": 64}


def folder_pieces(files: int):
    from mmgen.training import corpus

    return [corpus.Piece(**p) for item in corpus.sources(("essen",))[:files] for p in corpus.parse_file(item)]


def scratch_weights(family: str, info: dict) -> dict:
    """Freshly initialised weights of the shipped model's size (seeded)."""
    import torch

    torch.manual_seed(0)
    if family in SEQUENCE:
        from mmgen.symbolic.models import SequenceConfig, build_model

        return build_model(SequenceConfig(**info["config"])).state_dict()
    from mmgen.symbolic.grid_models import GridConfig, build_grid_model

    return build_grid_model(GridConfig(**info["config"])).state_dict()


def run(family: str, pieces, steps: int, tuning, lr: float, out: Path) -> tuple[dict, float]:
    from mmgen.training import grid, sequence

    train = sequence.train if family in SEQUENCE else grid.train
    started = time.perf_counter()
    info = train(family, out, steps, BATCH[family], 0, False, None, lr, ("essen",), pieces=pieces, tuning=tuning)
    return info, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--families", default="transformer,lstm,vae,diffusion")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from mmgen.checkpoints import model_dir
    from mmgen.training.runs import TUNING_LR_SCALE, Tuning, read_checkpoint

    started = time.perf_counter()
    pieces = folder_pieces(args.files)
    is_held_out = Tuning(Path(), {}, {}).is_held_out(pieces)
    held = sum(map(is_held_out, pieces))
    print(
        f"folder: {len(pieces)} Essen pieces ({args.files} files, parsed in {time.perf_counter() - started:.0f} s), "
        f"{held} held out; up to {args.steps} steps, evaluated every 25, patience 4"
    )
    work = Path(tempfile.mkdtemp(prefix="mmgen-transfer-"))
    for family in args.families.split(","):
        if family == "gan":
            parser.error("the GAN has no held-out likelihood to compare (see the docstring)")
        shipped = model_dir(family)
        info, weights = read_checkpoint(shipped)
        lr = float(info["lr"])
        tuned, tuned_s = run(
            family, pieces, args.steps, Tuning(shipped, info, weights), lr * TUNING_LR_SCALE, work / f"tuned-{family}"
        )
        scratch, scratch_s = run(
            family,
            pieces,
            args.steps,
            Tuning(Path("scratch"), info, scratch_weights(family, info)),
            lr,
            work / f"scratch-{family}",
        )
        zero_shot = tuned["evaluations"][0][1]
        print(
            f"{family}: held-out {'NLL' if family in SEQUENCE else 'figure'} shipped zero-shot {zero_shot:.4f}; "
            f"fine-tuned from shipped {tuned['best_held_out']:.4f} (best at step {tuned['best_step']}, stopped at "
            f"{tuned['stopped_at_step']}, {tuned_s:.0f} s, lr {lr * TUNING_LR_SCALE:g}); from scratch "
            f"{scratch['best_held_out']:.4f} (best at step {scratch['best_step']}, stopped at "
            f"{scratch['stopped_at_step']}, {scratch_s:.0f} s, lr {lr:g})",
            flush=True,
        )


if __name__ == "__main__":
    main()
