"""Train an event-grid model (beta-VAE, diffusion: the melody; WGAN-GP: all tracks) on the
corpus's phrases.

    python -m mmgen.training.vae [--steps N] [--out DIR] [--resume]
    python -m mmgen.training.gan ...
    python -m mmgen.training.diffusion ...

Examples are 4-bar phrases (hop 2 bars) of the training pieces, key-relative (see
symbolic/grid.py). Deterministic for a seed and step count; `--resume` continues from DIR's
checkpoint. Writes DIR/model.safetensors (fp16), DIR/config.json, DIR/README.md, DIR/train.log.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from ..symbolic.grid import TRACKS, Phrases, phrases
from ..symbolic.grid_models import GridConfig, build_grid_model, critic_loss, generator_loss, track_roll
from . import corpus
from .runs import Run, Tuning, add_run_arguments, run_from_arguments, tuning_from_arguments
from .sequence import MODELS

N_CRITIC = 5  # WGAN: critic updates per generator update


def _batch(data: Phrases, index: np.ndarray):
    """The melody model's batch: (events [B, T], cond, mask)."""
    return (
        torch.from_numpy(data.events[index, 0]),
        torch.from_numpy(data.cond[index]),
        torch.from_numpy(data.mask[index]),
    )


def _track_batch(data: Phrases, index: np.ndarray):
    """The GAN's batch: (events [B, VOICES, T], drums, present, cond, mask)."""
    return (
        torch.from_numpy(data.events[index]),
        torch.from_numpy(data.drums[index]),
        torch.from_numpy(data.present[index]),
        torch.from_numpy(data.cond[index]),
        torch.from_numpy(data.mask[index]),
    )


def sampling_weights(data: Phrases) -> np.ndarray:
    """[N] probabilities that give the phrases with more than a melody (few: the chorales,
    MIDI files) half of every GAN batch, so the accompaniment is learned as often as the tune."""
    rich = data.present[:, 1:].any(1)
    if not rich.any() or rich.all():
        return np.full(len(rich), 1 / len(rich))
    return np.where(rich, 0.5 / rich.sum(), 0.5 / (~rich).sum())


class Trainer:
    """One family's optimisers and update step."""

    def __init__(self, model, family: str, lr: float) -> None:
        self.model, self.family = model, family
        if family == "gan":
            self.optimizers = {
                "critic": torch.optim.Adam(model.critic.parameters(), lr=lr, betas=(0.5, 0.9)),
                "generator": torch.optim.Adam(model.generator.parameters(), lr=lr, betas=(0.5, 0.9)),
            }
        else:
            self.optimizers = {"model": torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)}
        self.scheduler = model.scheduler("ddpm") if family == "diffusion" else None
        self.weights: np.ndarray | None = None

    def step(self, data: Phrases, rng: np.random.Generator, batch: int) -> dict:
        if self.family == "gan":
            if self.weights is None:
                self.weights = sampling_weights(data)

            def draw():
                return _track_batch(data, rng.choice(len(self.weights), batch, p=self.weights))

            for _ in range(N_CRITIC):
                loss = critic_loss(self.model, *draw())
                self._update("critic", loss)
            critic = loss.item()
            _, _, present, cond, mask = draw()
            loss = generator_loss(self.model, cond, present, mask)
            self._update("generator", loss)
            return {"critic": critic, "generator": loss.item()}
        events, cond, mask = _batch(data, rng.integers(0, len(data.events), batch))
        if self.family == "vae":
            loss, parts = self.model.loss(events, cond, mask)
        else:
            loss, parts = self.model.loss(events, cond, mask, self.scheduler)
        self._update("model", loss)
        return {"loss": loss.item(), **parts}

    def _update(self, name: str, loss: torch.Tensor) -> None:
        optimizer = self.optimizers[name]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]], 1.0)
        optimizer.step()


@torch.no_grad()
def held_out_figure(model, family: str, data: Phrases) -> dict:
    """VAE: the negative ELBO per step (an upper bound of the NLL, nats); diffusion: the held-out
    cross-entropy of the clean grid predicted from noise (nats per step, over all noise levels);
    GAN: the critic's Wasserstein estimate between held-out and generated."""
    if not len(data.events):
        return {}
    model.eval()
    generator = torch.Generator().manual_seed(0)
    events, cond, mask = _batch(data, np.arange(min(1024, len(data.events))))
    if family == "vae":
        figure = {"held_out_nll_bound": round(model.nll_bound(events, cond, mask), 4)}
    elif family == "diffusion":
        torch.manual_seed(0)
        figure = {"held_out_denoising_ce": round(model.loss(events, cond, mask, model.scheduler("ddpm"))[0].item(), 4)}
    else:
        events, drums, present, cond, mask = _track_batch(data, np.arange(min(1024, len(data.events))))
        fake = model.fake(torch.randn(len(events), model.config.latent, generator=generator), cond, present, mask)
        wasserstein = (
            model.score(track_roll(events, drums), cond, present).mean() - model.score(fake, cond, present).mean()
        )
        figure = {"held_out_wasserstein": round(wasserstein.item(), 4)}
    model.train()
    return figure


def train(
    family: str,
    out: Path,
    steps: int,
    batch: int,
    seed: int,
    resume: bool,
    config: GridConfig,
    lr: float,
    collections: tuple[str, ...],
    log_every: int = 50,
    pieces: list[corpus.Piece] | None = None,
    tuning: Tuning | None = None,
) -> dict:
    """Train (or resume) and export; returns the training record that goes into config.json.
    With `tuning`: start from its weights and config, hold out a share of the pieces, export the
    best weights by the held-out figure, stopping early (not the GAN: see below)."""
    torch.manual_seed(seed)
    pieces = corpus.load(collections) if pieces is None else pieces
    split = tuning.is_held_out(pieces) if tuning is not None else None
    if tuning is not None:
        config = GridConfig(**tuning.info["config"])
    train_set, test_set = phrases(pieces, is_held_out=split), phrases(pieces, split="held-out", is_held_out=split)
    if not len(train_set.events):
        raise corpus.NoTrainingData("no 4-bar phrase to train on (the grid models read 2/4, 3/4, 4/4 and 6/8)")
    model = build_grid_model(config)
    if tuning is not None:  # a GAN's critic is not shipped: it starts afresh
        model.load_state_dict(tuning.weights, strict=family != "gan")
    trainer = Trainer(model, family, lr)
    run = Run(out, model, trainer.optimizers, seed, resume)

    def evaluate() -> float:
        return next(iter(held_out_figure(model, family, test_set).values()))

    # The GAN's critic starts afresh (it is not shipped), so its estimate is no yardstick early on:
    # a GAN fine-tunes for the steps given, without early stopping.
    stoppable = tuning is not None and len(test_set.events) and family != "gan"
    stopper = tuning.early_stopping(model, evaluate, run) if stoppable else None
    params = sum(p.numel() for p in model.parameters())
    run.log(
        f"{family}: {params / 1e6:.2f}M parameters, {len(train_set.events)} train / {len(test_set.events)} "
        "held-out phrases"
    )
    model.train()
    while run.step < steps:
        figures = trainer.step(train_set, run.rng, batch)
        run.step += 1
        if run.step % log_every == 0 or run.step == steps:
            run.progress(steps, figures)
        if run.step % 500 == 0 or run.step == steps:
            run.save()
        if stopper is not None and stopper.should_stop(run.step, run.log):
            break
    if stopper is not None:
        stopper.restore()
    tracks = [t for t, has in zip(TRACKS, train_set.present.any(0)) if has] if family == "gan" else ["melody"]
    info = {
        "family": family,
        "config": config.to_dict(),
        "steps": steps,
        "batch": batch,
        "seed": seed,
        "lr": lr,
        "collections": list(collections),
        "train_phrases": len(train_set.events),
        "held_out_phrases": len(test_set.events),
        "parameters": params,
        "tracks": tracks,
        "train_minutes": round(run.minutes, 1),
        **held_out_figure(model, family, test_set),
    }
    if tuning is not None:
        info |= {"init_from": str(tuning.folder), "stopped_at_step": run.step}
        info |= stopper.record() if stopper else {}
    run.export(info, skip_prefix="critic." if family == "gan" else None)  # the critic only trains
    return info


def main(family: str, argv: list[str] | None = None, **defaults) -> None:
    parser = argparse.ArgumentParser(description=f"Train the {family} event-grid model.")
    parser.add_argument("--out", type=Path, help=f"default {MODELS}/symbolic-{family}, with --init-from your own")
    parser.add_argument("--steps", type=int, default=defaults.get("steps", 3000))
    parser.add_argument("--batch", type=int, default=defaults.get("batch", 128))
    parser.add_argument("--hidden", type=int, default=defaults.get("hidden", 96))
    parser.add_argument(
        "--layers", type=int, default=defaults.get("layers", 1), help="stacks of 5 dilated convolutions"
    )
    parser.add_argument("--lr", type=float)
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    args.default_lr = defaults.get("lr", 1e-3)
    tuning = tuning_from_arguments(parser, args, family)
    config = GridConfig(family, hidden=args.hidden, layers=args.layers)
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
