"""Melody-grid decoders (beta-VAE, WGAN-GP, diffusion): the composer writes the harmony from
its chord statistics, a model trained in-house writes the melody over it, phrase by phrase,
and the composer arranges the rest.

Each 4-bar phrase is generated from its bars' conditioning (mode, meter, chord, note density
from the energy curve) and its own noise, drawn from the seed, the section and the phrase's
place in it: a repeated section (A') starts from its first occurrence's noise moved a little
(a variation, not a copy). The last bar is the tonic, held. `blend_seed` (VAE) interpolates:
the phrases move from this seed's latent to that seed's along the piece.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache
from pathlib import Path

from ..plan import MusicPlan
from ..tokens import ScoreTokens
from .base import Decoder, ProgressFn
from .learned import bar_densities, model_dir, section_label

VARIATION = 0.35  # how far a repeated section's noise moves from its first occurrence's (slerp)


def load(family: str):
    return load_folder(str(model_dir(family)))


@lru_cache(maxsize=4)
def load_folder(folder: str):
    """(model, training info) of a grid checkpoint."""
    from ..symbolic.grid_models import GridConfig, build_grid_model
    from ..training.runs import read_checkpoint

    info, weights = read_checkpoint(Path(folder))
    model = build_grid_model(GridConfig(**info["config"]))
    model.load_state_dict(weights, strict=info["family"] != "gan")  # a GAN ships without its critic
    model.eval()
    return model, info


def _noise(shape: tuple[int, ...], *key):
    """Standard normal noise [shape] fixed by `key` (seed, section, phrase...)."""
    import torch

    digest = hashlib.sha256(repr(key).encode()).digest()
    generator = torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") >> 1)
    return torch.randn(shape, generator=generator)


class GridDecoder(Decoder):
    family = "vae"
    token_kind = "score"
    default_codec = "soundfont"

    def decode(self, plan: MusicPlan, seed: int, conditioning: dict | None = None,
               progress: ProgressFn | None = None, sampling=None, blend_seed: int | None = None) -> ScoreTokens:
        from ..symbolic.grid import GRID_METERS
        from .composer import STYLES, Arrangement

        style = STYLES[plan.style]
        if plan.meter.name not in GRID_METERS:  # 9/8, 12/8, 5/4: the composer writes that melody
            return Arrangement(plan, style, random.Random(f"composer:{seed}")).write()
        chords = [c.label for c in Arrangement(plan, style, random.Random(f"composer:{seed}")).chords_per_bar()]
        temperature = float(getattr(sampling, "temperature", 1.0) or 1.0)
        bars = self.melody(plan, chords, seed, style.melody_density, temperature, blend_seed)
        return Arrangement(plan, style, random.Random(f"composer:{seed}"), lead=(chords, bars)).write()

    def decode_many(self, plans, seeds, sampling=None, conditioning=None, progress=None, on_frames=None,
                    should_stop=None):
        """`sampling` (the request) gives the temperature and, for the VAE, `blend_seed`."""
        blend = getattr(sampling, "blend_seed", None)
        return [self.decode(plan, seed, sampling=sampling, blend_seed=blend) for plan, seed in zip(plans, seeds)]

    def melody(self, plan: MusicPlan, chords: list[str], seed: int, melody_density: float = 0.45,
               temperature: float = 1.0, blend_seed: int | None = None) -> list[list]:
        """Notes per bar (symbolic/tokenizer.Note, quarter notes from the bar line)."""
        import numpy as np
        import torch

        from ..symbolic.grid import (HOLD, LOWEST, PHRASE_BARS, PITCHES, REST, STEPS_PER_BAR, bar_condition,
                                     grid_notes, step_mask)
        from ..symbolic.grid_models import slerp

        model, _ = load(self.family)
        meter, mode, total = plan.meter.name, plan.key.mode, plan.total_bars
        densities = bar_densities(plan, melody_density)
        count = -(-total // PHRASE_BARS)
        conds, noises = [], []
        for p in range(count):
            bars = [min(total - 1, p * PHRASE_BARS + i) for i in range(PHRASE_BARS)]
            conds.append(np.stack([bar_condition(mode, meter, chords[b], densities[b]) for b in bars]))
            section = plan.section_at_bar(bars[0])
            place = (bars[0] - section.start_bar) // PHRASE_BARS
            noise = _noise(model.noise_shape(), seed, section_label(section.name), place)
            if section.name.endswith("'"):
                noise = slerp(noise, _noise(model.noise_shape(), seed, section.name, place), VARIATION)
            if blend_seed is not None and self.family != "diffusion" and count > 1:
                other = _noise(model.noise_shape(), blend_seed, section_label(section.name), place)
                noise = slerp(noise, other, p / (count - 1))
            noises.append(noise * (temperature if self.family != "diffusion" else 1.0))
        mask = torch.from_numpy(np.stack([step_mask(meter)] * count))
        logits = model.generate(torch.from_numpy(np.stack(conds)), mask, torch.stack(noises))
        events = logits.argmax(-1).masked_fill(~mask, REST).reshape(-1).numpy()[:total * STEPS_PER_BAR].copy()
        # The last bar: the tonic nearest the melody's last note, held through the bar.
        last_bar = (total - 1) * STEPS_PER_BAR
        sung = [int(e) for e in events[:last_bar] if e < PITCHES]
        tonic_indices = [i for i in range(PITCHES) if (i + LOWEST) % 12 == 0]
        final = min(tonic_indices, key=lambda i: (abs(i - (sung[-1] if sung else 17)), i))
        used = int(step_mask(meter)[:STEPS_PER_BAR].sum())
        events[last_bar:] = REST
        events[last_bar] = final
        events[last_bar + 1:last_bar + used] = HOLD
        return grid_notes(events, plan.key.tonic_pc)


class VaeDecoder(GridDecoder):
    family = "vae"


class GanDecoder(GridDecoder):
    family = "gan"


class DiffusionDecoder(GridDecoder):
    family = "diffusion"
