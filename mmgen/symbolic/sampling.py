"""Cached, constrained sampling of lead-sheet bars from a sequence model.

The plan is honoured by construction: every bar header (Bar, TimeSig, Chord, Dens) is written
by the sampler, so the piece has exactly the plan's bars in its meter, with the density the
energy curve asks for; the model picks the chords (unless a bar's chord is fixed: the cadence)
and the notes. A small grammar keeps the notes valid and monophonic: a Position later than the
last one, then a Pitch in the melody's range (and, `in_key`, in the key or the bar's chord), then
a Duration that ends inside the bar.
Repeated sections replay the tokens of their first occurrence (fed through the model so what
follows continues from them). Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..music import Key
from .dataset import allowed_pcs
from .tokenizer import MODE_CHORDS, LeadSheetTokenizer

MAX_NOTES_PER_BAR = 16


@dataclass
class BarSpec:
    density: int
    chord: str | None = None  # fixed chord; None lets the model choose
    chord_of: int | None = None  # take the chord of this earlier bar (a varied repeat)
    replay_of: int | None = None  # repeat this earlier bar verbatim, chord and notes
    final: bool = False  # the last bar: one long tonic note


@dataclass
class Sampling:
    temperature: float = 1.0
    top_p: float = 1.0  # nucleus; 1 = the model's whole distribution
    pitch_range: tuple[int, int] = (55, 89)
    in_key: bool = True  # pitches only from the key (minor: with its raised 6th, 7th) and the bar's chord


@dataclass
class Result:
    bar_tokens: list[list[int]] = field(default_factory=list)  # each bar's note tokens
    chords: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


class BarSampler:
    def __init__(self, model, tokenizer: LeadSheetTokenizer) -> None:
        self.model, self.tok = model, tokenizer
        v = tokenizer.vocab
        self.positions = {int(t.split("_")[1]): i for t, i in tokenizer.ids_of("Position_").items()}
        self.pitches = {int(t.split("_")[1]): i for t, i in tokenizer.ids_of("Pitch_").items()}
        self.durations = {i: t.split("_")[1] for t, i in tokenizer.ids_of("Duration_").items()}
        self.chords = {t.split("_", 1)[1]: i for t, i in tokenizer.ids_of("Chord_").items()}
        self.position_of = {i: p for p, i in self.positions.items()}
        self.bar, self.eos = v["Bar_None"], v["EOS_None"]

    @torch.no_grad()
    def sample(
        self,
        header: list[int],
        meter: str,
        mode: str,
        tonic_pc: int,
        specs: list[BarSpec],
        seed: int,
        sampling: Sampling | None = None,
    ) -> Result:
        sampling = sampling or Sampling()
        self.model.eval()
        generator = torch.Generator().manual_seed(seed)
        self.header, self.ids, self.state = list(header), [], None
        self.logits = self._feed(self.header, record=False)
        result = Result()
        positions = self.tok.positions_per_bar(meter)
        ticks_per_position = self.tok.ticks_per_position(meter)
        allowed_chords = [self.chords[c] for c in MODE_CHORDS[mode]]
        self.duration_ticks = {i: self.tok.duration_ticks(value, meter) for i, value in self.durations.items()}
        for index, spec in enumerate(specs):
            self._force([self.bar, self.tok.vocab[f"TimeSig_{meter}"]])
            fixed = spec.chord or next(
                (result.chords[b] for b in (spec.replay_of, spec.chord_of) if b is not None), None
            )
            chord = self.chords[fixed] if fixed else self._draw(allowed_chords, generator, sampling)
            self._force([chord, self.tok.vocab[f"Dens_{spec.density}"]])
            result.chords.append(self.tok.names[chord].split("_", 1)[1])
            if spec.replay_of is not None:
                notes = list(result.bar_tokens[spec.replay_of])
                self._force(notes)
            elif spec.final:
                notes = self._final_note(result, tonic_pc, positions, ticks_per_position, sampling)
                self._force(notes)
            else:
                pcs = allowed_pcs(Key(tonic_pc, mode), result.chords[-1]) if sampling.in_key else None
                notes = self._bar_notes(
                    positions,
                    ticks_per_position,
                    meter,
                    generator,
                    sampling,
                    last=index == len(specs) - 1,
                    pitch_classes=pcs,
                )
            result.bar_tokens.append(notes)
        result.ids = self.header + self.ids + [self.eos]
        return result

    # ---- one bar of notes ----------------------------------------------------------------------

    def _bar_notes(
        self,
        positions,
        ticks_per_position,
        meter,
        generator,
        sampling,
        last: bool,
        pitch_classes: set[int] | None = None,
    ) -> list[int]:
        notes: list[int] = []
        low, high = sampling.pitch_range
        pitch_ids = [
            i
            for p, i in self.pitches.items()
            if low <= p <= high and (pitch_classes is None or p % 12 in pitch_classes)
        ]
        position = -1
        bar_ticks = positions * ticks_per_position
        while len(notes) < 3 * MAX_NOTES_PER_BAR:
            # Next note's position, or the end of the bar (the model's Bar / EOS).
            later = [i for p, i in self.positions.items() if position < p < positions]
            ending = self.eos if last else self.bar
            choice = self._draw(later + [ending], generator, sampling) if later else ending
            if choice == ending:
                break
            position = self.position_of[choice]
            self._force([choice])
            pitch = self._draw(pitch_ids, generator, sampling)
            self._force([pitch])
            room = bar_ticks - position * ticks_per_position
            fits = [i for i, ticks in self.duration_ticks.items() if ticks <= room + 1e-6]
            fits = fits or [min(self.duration_ticks, key=self.duration_ticks.get)]
            duration = self._draw(fits, generator, sampling)
            self._force([duration])
            notes += [choice, pitch, duration]
            if len(notes) >= 3 * MAX_NOTES_PER_BAR:
                break
        return notes

    def _final_note(
        self, result: Result, tonic_pc: int, positions, ticks_per_position, sampling: Sampling
    ) -> list[int]:
        """Position 0, the tonic nearest the last note sung, held for the whole bar."""
        last_pitch = next(
            (
                int(self.tok.names[i].split("_")[1])
                for bar in reversed(result.bar_tokens)
                for i in reversed(bar)
                if self.tok.names[i].startswith("Pitch_")
            ),
            72,
        )
        low, high = sampling.pitch_range
        candidates = [p for p in range(low, high + 1) if p % 12 == tonic_pc]
        pitch = min(candidates, key=lambda p: (abs(p - last_pitch), p))
        bar_ticks = positions * ticks_per_position
        duration = max(
            (i for i, ticks in self.duration_ticks.items() if ticks <= bar_ticks + 1e-6), key=self.duration_ticks.get
        )
        return [self.positions[0], self.pitches[pitch], duration]

    # ---- model plumbing ------------------------------------------------------------------------

    def _draw(self, allowed: list[int], generator: torch.Generator, sampling: Sampling) -> int:
        logits = self.logits[allowed] / max(1e-3, sampling.temperature)
        probs = logits.softmax(-1)
        order = probs.argsort(descending=True)
        keep = probs[order].cumsum(0) - probs[order] < sampling.top_p  # nucleus, always >= 1 token
        kept = order[keep]
        pick = kept[torch.multinomial(probs[kept] / probs[kept].sum(), 1, generator=generator)]
        return allowed[int(pick)]

    def _force(self, tokens: list[int]) -> None:
        if tokens:
            self.logits = self._feed(tokens)

    def _feed(self, tokens: list[int], record: bool = True) -> torch.Tensor:
        """Feed tokens through the model; the logits [V] for what comes next."""
        context = self.model.config.context
        if (
            self.state is not None
            and self.model.config.family == "transformer"
            and self.state["length"] + len(tokens) > context
        ):
            # Slide: re-read the header and the most recent half context from scratch.
            _, self.state = self.model.step(torch.tensor([self.header + self.ids[-(context // 2) :]]), None)
        logits, self.state = self.model.step(torch.tensor([tokens]), self.state)
        if record:
            self.ids += tokens
        return logits[0, -1].float()
