"""Learned symbolic decoders: a model trained in-house writes the lead sheet (the chord of every
bar and the melody), the composer arranges it (bass, drums, accompaniment, pad) and it is
rendered by the SoundFont codec.

The plan steers the model through the bar headers the sampler writes (see symbolic/sampling.py):
its meter and exact bar count, each bar's note density from the energy curve, a dominant and a
final tonic at the end with the melody's last note on the tonic (a loop ends on the dominant
that leads back to its first bar). A repeated section (A') replays
the first half of its first occurrence and varies the rest (its chords, new notes).
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

from ..checkpoints import SHIPPED, model_dir, weights_dir, weights_stamp
from ..checkpoints import requested_weights as weights_of
from ..plan import MusicPlan
from ..registry import Availability
from ..symbolic.tokenizer import LeadSheetTokenizer, meter_supported, tempo_bucket
from ..tokens import ScoreTokens
from .base import Decoder, ProgressFn

# The learned models know two idioms, from their training data: folk tunes and Bach chorales. Plans
# in these styles read them; any other style is written in the folk idiom and played by its own band,
# and the report says so.
CHORALE_STYLES = {"ambient", "piano", "trailer", "waltz", "classical", "underscore", "documentary", "gospel"}
FOLK_STYLES = {"folk", "country", "celtic", "kids", "holiday", "comedy", "pop", "corporate", "ballad"}


def availability(family: str) -> Availability:
    folder = model_dir(family)
    if not (folder / "model.safetensors").is_file() or not (folder / "config.json").is_file():
        return Availability(
            False, f"its weights are missing from {folder} (train them with: python -m mmgen.training.{family})"
        )
    return Availability(True)


def load(family: str, weights: str = SHIPPED):
    """(model, tokenizer, training info) of the family's checkpoint `weights` names (the shipped
    one, or a personal one: mmgen/checkpoints.py), loaded once per folder."""
    folder = weights_dir(family, weights)
    return load_folder(str(folder), weights_stamp(folder))


@lru_cache(maxsize=4)
def load_folder(folder: str, stamp: int = 0):
    from ..symbolic.models import SequenceConfig, build_model
    from ..training.runs import read_checkpoint

    path = Path(folder)
    info, weights = read_checkpoint(path)
    tokenizer = LeadSheetTokenizer()
    config = SequenceConfig(**info["config"])
    if config.vocab_size != len(tokenizer):
        raise RuntimeError(
            f"{path.name} was trained with a vocabulary of {config.vocab_size} tokens, "
            f"this tokenizer has {len(tokenizer)}"
        )
    model = build_model(config)
    model.load_state_dict(weights)
    model.eval()
    return model, tokenizer, info


def section_label(name: str) -> str:
    return re.sub(r"\s*\d+$", "", name.rstrip("'"))


def bar_densities(plan: MusicPlan, melody_density: float) -> list[int]:
    """The note-density bucket (0..3) the melody of each bar should have: busier where the
    energy curve is high, and in styles whose melodies are busy."""
    energies = plan.bar_energies()
    peak = max(energies) or 1.0
    return [max(0, min(3, round(0.8 + 2.0 * e / peak * e + 2 * (melody_density - 0.45)))) for e in energies]


def bar_specs(plan: MusicPlan, melody_density: float):
    """One BarSpec per bar of the plan (see the module docstring)."""
    from ..symbolic.sampling import BarSpec

    densities = bar_densities(plan, melody_density)
    first_start: dict[str, int] = {}
    specs = []
    total = plan.total_bars
    dominant, tonic = "V", "I" if plan.key.mode == "major" else "i"
    for bar in range(total):
        section = plan.section_at_bar(bar)
        label, in_section = section_label(section.name), bar - section.start_bar
        first_start.setdefault(label, section.start_bar)
        density = densities[bar]
        spec = BarSpec(density)
        earlier = first_start[label] + in_section
        if earlier < section.start_bar:
            # A repeat (A') states its first phrase again, then varies: new notes, same chords.
            if section.name.endswith("'") and in_section >= section.bars // 2:
                spec.chord_of = earlier
            else:
                spec.replay_of = earlier
        if bar == total - 1 and plan.loop:  # the turnaround: the dominant leads back to the top
            spec = BarSpec(density, chord=dominant)
        elif bar == total - 1:
            spec = BarSpec(density, chord=tonic, final=True)
        elif bar == total - 2 and not plan.loop:
            spec = BarSpec(density, chord=dominant)
        specs.append(spec)
    return specs


class SequenceDecoder(Decoder):
    """Lead sheet from a Transformer or LSTM, arranged by the composer."""

    family = "transformer"
    token_kind = "score"
    default_codec = "soundfont"

    def decode(
        self,
        plan: MusicPlan,
        seed: int,
        conditioning: dict | None = None,
        progress: ProgressFn | None = None,
        sampling=None,
    ) -> ScoreTokens:
        """`sampling`: anything with `temperature` and `top_p` (0 = off), e.g. the request."""
        from .composer import Arrangement, composer_style

        style = composer_style(plan)
        lead = None
        if meter_supported(plan.meter):  # 5/4 is not in the corpus: the composer writes that melody
            lead = self.lead_sheet(plan, seed, style.melody_density, sampling)
        tokens = Arrangement(plan, style, random.Random(f"composer:{seed}"), lead=lead).write()
        tokens.notes = idiom_note(plan)
        if lead is not None:  # what a rating of this take trains (mmgen/training/dpo.py)
            tokens.notes["lead_sheet"] = {"weights": weights_of(sampling), "tokens": lead.token_ids}
        return tokens

    def decode_many(
        self, plans, seeds, sampling=None, conditioning=None, progress=None, on_frames=None, should_stop=None
    ):
        return [self.decode(plan, seed, sampling=sampling) for plan, seed in zip(plans, seeds)]

    def lead_sheet(self, plan: MusicPlan, seed: int, melody_density: float = 0.45, sampling=None):
        """The chord labels and melody notes per bar of the plan, written by the model."""
        from ..symbolic.sampling import BarSampler, Sampling
        from .composer import Lead

        settings = Sampling()
        if sampling is not None:
            settings = Sampling(
                temperature=float(sampling.temperature),
                top_p=float(sampling.top_p or 1.0),
                in_key=bool(getattr(sampling, "in_key", True)),
            )

        model, tokenizer, _ = load(self.family, weights_of(sampling))
        header = tokenizer.header(plan.key, idiom(plan.style), tempo_bucket(plan.tempo_bpm))
        result = BarSampler(model, tokenizer).sample(
            header, plan.meter.name, plan.key.mode, plan.key.tonic_pc, bar_specs(plan, melody_density), seed, settings
        )
        bars = tokenizer.decode_bars(result.ids, plan.meter.name)
        lead = Lead([bar.chord for bar in bars], [bar.notes for bar in bars])
        lead.token_ids = list(result.ids)
        return lead


def idiom(style: str) -> str:
    return "chorale" if style in CHORALE_STYLES else "folk"


def idiom_note(plan: MusicPlan) -> dict:
    """What the report says about how far a learned model follows the plan's style."""
    name = idiom(plan.style)
    if plan.style in CHORALE_STYLES | FOLK_STYLES:
        return {"idiom": name, "style_followed": "yes"}
    return {
        "idiom": name,
        "style_followed": "partly",
        "why": f"the learned models were trained on folk tunes and chorales, not {plan.style_label}: "
        f"they write its chords and melody in the folk idiom, and the {plan.style_label} band "
        "(instruments, groove, bass) plays them",
    }


class TransformerDecoder(SequenceDecoder):
    family = "transformer"


class LstmDecoder(SequenceDecoder):
    family = "lstm"
