"""Event-grid decoders (beta-VAE, WGAN-GP, diffusion): the composer writes the harmony from
its chord statistics, a model trained in-house writes the melody over it (the GAN also the bass,
the inner voices and, when trained on drums, the drums), phrase by phrase, and the composer
arranges the rest.

Each 4-bar phrase is generated from its bars' conditioning (mode, meter, chord, note density
from the energy curve) and its own noise, drawn from the seed, the section and the phrase's
place in it: a repeated section (A') starts from its first occurrence's noise moved a little
(a variation, not a copy). The last bar holds tones of the composer's cadence chord, and the
composer's final tonic chord resolves it. `blend_seed` (VAE) interpolates:
the phrases move from this seed's latent to that seed's along the piece.

Decoding is key-aware: each step takes the model's most likely event among those whose pitch is
in the key (minor with its raised 6th and 7th) or in the bar's chord (`in_key=False`, or a
`sampling` whose `in_key` is false, takes the model's own choice).
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache
from pathlib import Path

from ..checkpoints import SHIPPED, weights_dir, weights_stamp
from ..checkpoints import requested_weights as weights_of
from ..plan import MusicPlan
from ..tokens import ScoreTokens
from .base import Decoder, ProgressFn
from .learned import bar_densities, section_label

VARIATION = 0.35  # how far a repeated section's noise moves from its first occurrence's (slerp)


def load(family: str, weights: str = SHIPPED):
    folder = weights_dir(family, weights)
    return load_folder(str(folder), weights_stamp(folder))


@lru_cache(maxsize=4)
def load_folder(folder: str, stamp: int = 0):
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

    def decode(
        self,
        plan: MusicPlan,
        seed: int,
        conditioning: dict | None = None,
        progress: ProgressFn | None = None,
        sampling=None,
        blend_seed: int | None = None,
    ) -> ScoreTokens:
        from ..symbolic.grid import GRID_METERS
        from .composer import Arrangement, composer_style

        style = composer_style(plan)
        if plan.meter.name not in GRID_METERS:  # 9/8, 12/8, 5/4: the composer writes that melody
            return Arrangement(plan, style, random.Random(f"composer:{seed}")).write()
        temperature = float(getattr(sampling, "temperature", 1.0) or 1.0)
        lead = self.plan_lead(
            plan, seed, temperature, blend_seed, getattr(sampling, "in_key", True), weights_of(sampling)
        )
        return Arrangement(plan, style, random.Random(f"composer:{seed}"), lead=lead).write()

    def plan_lead(
        self,
        plan: MusicPlan,
        seed: int,
        temperature: float = 1.0,
        blend_seed: int | None = None,
        in_key: bool = True,
        weights: str = SHIPPED,
    ):
        """The model's parts over the chords the composer writes for this plan and seed."""
        from .composer import Arrangement, composer_style

        style = composer_style(plan)
        chords = [c.label for c in Arrangement(plan, style, random.Random(f"composer:{seed}")).chords_per_bar()]
        return self.lead(plan, chords, seed, style.melody_density, temperature, blend_seed, in_key, weights)

    def decode_many(
        self, plans, seeds, sampling=None, conditioning=None, progress=None, on_frames=None, should_stop=None
    ):
        """`sampling` (the request) gives the temperature and, for the VAE, `blend_seed`."""
        blend = getattr(sampling, "blend_seed", None)
        return [self.decode(plan, seed, sampling=sampling, blend_seed=blend) for plan, seed in zip(plans, seeds)]

    def lead(
        self,
        plan: MusicPlan,
        chords: list[str],
        seed: int,
        melody_density: float = 0.45,
        temperature: float = 1.0,
        blend_seed: int | None = None,
        in_key: bool = True,
        weights: str = SHIPPED,
    ):
        """The composer's Lead: the chords given, the model's melody."""
        from ..symbolic.grid import grid_notes
        from .composer import Lead

        model, _ = load(self.family, weights)
        cond, mask, noise = self.phrase_inputs(model, plan, chords, seed, melody_density, temperature, blend_seed)
        events = pick_events(model.generate(cond, mask, noise), plan, chords, in_key)  # [phrases, T]
        return Lead(chords, grid_notes(close(events, mask, plan, 0, chords[-1]), plan.key.tonic_pc))

    def phrase_inputs(
        self,
        model,
        plan: MusicPlan,
        chords: list[str],
        seed: int,
        melody_density: float,
        temperature: float,
        blend_seed: int | None,
    ):
        """(cond [P, PHRASE_BARS, COND], mask [P, T], noise [P, *noise_shape]) of the plan's P
        phrases (the last one padded with the final bar)."""
        import numpy as np
        import torch

        from ..symbolic.grid import PHRASE_BARS, bar_condition, step_mask
        from ..symbolic.grid_models import slerp

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
        return torch.from_numpy(np.stack(conds)), mask, torch.stack(noises)


def pick_events(scores, plan: MusicPlan, chords: list[str], in_key: bool = True):
    """Event classes [P, T]: the best-scoring class at each step of the phrases' scores
    [P, T, CLASSES] (logits or probabilities), among the pitches allowed in each bar (key and
    chord, see `allowed_pcs`) when `in_key`; holds and rests are always allowed."""
    import torch

    from ..symbolic.dataset import allowed_pcs
    from ..symbolic.grid import LOWEST, PHRASE_BARS, PITCHES, STEPS_PER_BAR

    if not in_key:
        return scores.argmax(-1)
    count, steps, classes = scores.shape
    allowed = torch.ones(count * PHRASE_BARS, classes, dtype=torch.bool)
    pitch_pcs = (torch.arange(PITCHES) + LOWEST + plan.key.tonic_pc) % 12
    for bar in range(count * PHRASE_BARS):
        pcs = torch.tensor(sorted(allowed_pcs(plan.key, chords[min(bar, len(chords) - 1)])))
        allowed[bar, :PITCHES] = torch.isin(pitch_pcs, pcs)
    allowed = allowed.repeat_interleave(STEPS_PER_BAR, 0).reshape(count, steps, classes)
    return scores.masked_fill(~allowed, float("-inf")).argmax(-1)


FINAL_TONES = ("root fifth", "third", "fifth root", "root")  # per voice: the tones of the last chord it ends on


def close(events, mask, plan: MusicPlan, voice: int, last_chord: str):
    """One voice's event classes [total_bars * STEPS_PER_BAR] from the phrases' [P, T], unused
    steps silent, its last bar one held tone of that bar's chord, nearest the line's last note
    (the cadence chord: the melody on its root or fifth, the inner voices on its third and fifth,
    the bass on its root); the composer's final tonic chord follows."""
    from ..symbolic.dataset import triad
    from ..symbolic.grid import HOLD, LOWEST, PITCHES, REST, STEPS_PER_BAR, step_mask
    from ..symbolic.tokenizer import CHORD_SHAPES

    total = plan.total_bars
    events = events.masked_fill(~mask, REST).reshape(-1).numpy()[: total * STEPS_PER_BAR].copy()
    last_bar = (total - 1) * STEPS_PER_BAR
    sung = [int(e) for e in events[:last_bar] if e < PITCHES]
    tonic_label = "I" if plan.key.mode == "major" else "i"
    tones = dict(
        zip(("root", "third", "fifth"), triad(last_chord if last_chord in CHORD_SHAPES else tonic_label, plan.key))
    )
    degrees = {(tones[name] - plan.key.tonic_pc) % 12 for name in FINAL_TONES[voice].split()}
    candidates = [i for i in range(PITCHES) if (i + LOWEST) % 12 in degrees]
    final = min(candidates, key=lambda i: (abs(i - (sung[-1] if sung else 17)), i))
    used = int(step_mask(plan.meter.name)[:STEPS_PER_BAR].sum())
    events[last_bar:] = REST
    events[last_bar] = final
    events[last_bar + 1 : last_bar + used] = HOLD
    return events


class VaeDecoder(GridDecoder):
    family = "vae"


class GanDecoder(GridDecoder):
    """The GAN writes every track it was trained on (melody, inner voices, bass; drums when its
    data had them) over the composer's chords; the composer plays the rest."""

    family = "gan"

    def lead(
        self,
        plan: MusicPlan,
        chords: list[str],
        seed: int,
        melody_density: float = 0.45,
        temperature: float = 1.0,
        blend_seed: int | None = None,
        in_key: bool = True,
        weights: str = SHIPPED,
    ):
        import torch

        from ..symbolic.grid import TRACKS, VOICES, grid_notes
        from .composer import Lead

        model, info = load(self.family, weights)
        tracks = info.get("tracks", ["melody"])
        cond, mask, noise = self.phrase_inputs(model, plan, chords, seed, melody_density, temperature, blend_seed)
        present = torch.tensor([[t in tracks for t in TRACKS]] * len(cond))
        voices, drums = model.generate_tracks(cond, mask, noise, present)
        lines = [
            grid_notes(
                close(pick_events(voices[:, v], plan, chords, in_key), mask, plan, v, chords[-1]), plan.key.tonic_pc
            )
            for v in range(len(VOICES))
        ]
        lead = Lead(chords, lines[0])
        if "bass" in tracks:
            lead.bass = lines[3]
        if "chords" in tracks:
            lead.inner = [a + t for a, t in zip(lines[1], lines[2])]
        if "drums" in tracks:
            lead.drums = drum_notes(drums, mask, plan.total_bars)
        return lead


def drum_notes(drums, mask, total_bars: int) -> list[list]:
    """Drum hits per bar (Note.pitch = the General MIDI drum) from hit probabilities [P, T, DRUMS];
    the last bar is left to the composer's ending."""
    from ..symbolic.grid import DRUM_NOTES, STEPS_PER_BAR
    from ..symbolic.tokenizer import Note

    hits = (drums > 0.5) & mask[..., None]
    steps = hits.reshape(-1, hits.shape[-1])[: (total_bars - 1) * STEPS_PER_BAR]
    bars: list[list] = [[] for _ in range(total_bars)]
    for t, kind in steps.nonzero().tolist():
        bar, step = divmod(t, STEPS_PER_BAR)
        bars[bar].append(Note(step / 4, 0.25, DRUM_NOTES[kind]))
    return bars


class DiffusionDecoder(GridDecoder):
    family = "diffusion"
