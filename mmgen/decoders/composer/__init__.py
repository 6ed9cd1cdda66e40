"""The composer: a rule-based decoder that writes a full arrangement from a MusicPlan.

Per bar it picks the chord (a Markov chain over real-music harmony statistics, with cadences),
then each part plays its pattern for that chord at the bar's energy: drums in the style's groove,
a bass line, accompaniment, a pad, and a motif-based melody. The piece ends with a cadence into a
tonic chord that rings to the exact end of the requested duration; a loop (`plan.loop`) has no
final chord: its last bar is the turnaround (the cadence chord, a drum fill, a half cadence in
the melody) that leads back into its first.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass

from ...music import MELODY_SCALES, nearest_pitch
from ...plan import MusicPlan
from ...tokens import Part, ScoreTokens
from ..base import Decoder, ProgressFn
from . import grooves, humanise
from .harmony import Chord, HarmonyModel
from .melody import MelodyWriter
from .parts import Voicer, write_bass, write_comp, write_pad
from .styles import ComposerStyle, composer_style
from .vocal import sing_line

MIX = {  # role -> (volume CC7, pan CC10, reverb CC91)
    "drums": (100, 64, 30),
    "bass": (100, 64, 15),
    "chords": (82, 46, 45),
    "pad": (62, 82, 70),
    "melody": (108, 72, 50),
    "ostinato": (74, 36, 40),
    "timpani": (90, 64, 50),
    "vocal": (116, 64, 55),
}
SUSTAINED_PAD_STYLES = {"ambient", "trailer", "underscore", "horror", "documentary", "chinese", "japanese"}
VOICE_PROGRAM = 53  # General MIDI "Voice Oohs": the sung line of a lyric setting
# Learned parts: velocity = base + gain * energy per role; hats sit under the kick and snare.
LEARNED_VELOCITY = {"melody": (72, 38), "bass": (70, 35), "chords": (58, 40), "drums": (70, 40)}
DRUM_GAIN = {grooves.KICK: 1.1, grooves.CRASH: 1.05, grooves.CLOSED_HAT: 0.75, grooves.OPEN_HAT: 0.8}
BASS_REGISTER = 40  # the median pitch a learned bass line is moved to (E2)


class ComposerDecoder(Decoder):
    token_kind = "score"
    default_codec = "soundfont"

    def decode(
        self, plan: MusicPlan, seed: int, conditioning: dict | None = None, progress: ProgressFn | None = None
    ) -> ScoreTokens:
        return Arrangement(plan, composer_style(plan), random.Random(f"composer:{seed}")).write()


@dataclass
class Lead:
    """What a learned model wrote, per bar: the chord labels and notes (symbolic/tokenizer.Note,
    onsets in quarter notes from the bar line; drums: Note.pitch is the General MIDI drum).
    The parts left None are the composer's."""

    chords: list[str]
    melody: list[list]
    bass: list[list] | None = None
    inner: list[list] | None = None  # played by the "chords" part
    drums: list[list] | None = None
    token_ids: list[int] | None = None  # a sequence model's lead-sheet tokens (what DPO trains on)

    def notes(self, role: str) -> list[list] | None:
        return {"melody": self.melody, "bass": self.bass, "chords": self.inner, "drums": self.drums}[role]


class Arrangement:
    """The arrangement of one plan. A `lead` from a learned model replaces the composer's own
    harmony and melody, and the bass, chords and drums it has."""

    def __init__(self, plan: MusicPlan, style: ComposerStyle, rng: random.Random, lead: Lead | None = None) -> None:
        self.plan, self.style, self.rng, self.lead = plan, style, rng, lead
        # Humanising draws from its own stream, seeded by the composer's: the composition is unchanged.
        self._humanise_seed = hashlib.sha256(repr(rng.getstate()).encode()).hexdigest()
        self.meter = plan.meter
        self.harmony = HarmonyModel(plan.key, style.sevenths, rng)
        self.parts: dict[str, Part] = {}
        self._shifts: dict[str, int] = {}  # role -> octaves (semitones) a learned part is moved by
        for role, program in plan.instruments.items():
            volume, pan, reverb = MIX.get(role, (90, 64, 40))
            if plan.style == "ambient" or plan.style == "piano":
                reverb = min(127, reverb + 35)
            self.parts[role] = Part(role, program, is_drum=(role == "drums"), volume=volume, pan=pan, reverb=reverb)
        if style.groove is None:
            self.parts.pop("drums", None)
        self.chord_voicer = Voicer(style.comp_register)
        self.pad_voicer = Voicer(style.comp_register + 5)
        scale = MELODY_SCALES[(style.scale or {}).get(plan.key.mode, "diatonic")][plan.key.mode]
        self.melody = MelodyWriter(
            plan.key, plan.meter, style.melody_register, style.melody_density, style.staccato, rng, scale
        )
        self.phrase_bars = plan.phrase_bars
        self.sung_bars = {slot.start_bar + i for slot in plan.lyric_slots for i in range(slot.bars)}
        if plan.lyric_slots:  # the lyrics are sung by a voice; the instrumental melody plays between
            volume, pan, reverb = MIX["vocal"]
            self.parts["vocal"] = Part("vocal", VOICE_PROGRAM, volume=volume, pan=pan, reverb=reverb)

    # ---- harmony ---------------------------------------------------------------------------

    def chords_per_bar(self) -> list[Chord]:
        """One chord per bar (one per two bars at fast tempos); repeated sections repeat chords."""
        plan, span = self.plan, 2 if self.plan.bar_s < 1.6 else 1
        if self.lead is not None:
            tonic = self.harmony.tonic_label
            return [
                self.harmony.chord(label, seventh=self.style.sevenths and label != tonic) for label in self.lead.chords
            ]
        by_label: dict[str, list[Chord]] = {}
        bars: list[Chord] = []
        for section in plan.sections:
            # Repeated sections repeat their chords: A and A', Verse 1 and Verse 2.
            label = re.sub(r"\s*\d+$", "", section.name.rstrip("'")) if section.role != "intro" else "A"
            if label not in by_label and not self.style.progressions:
                length = max(4, self.phrase_bars // span)  # a phrase needs room before its cadence
                if self.style.loop:
                    by_label[label] = self.harmony.phrase(4, "open", start_on_tonic=label == "A")
                else:
                    by_label[label] = self.harmony.phrase(
                        length, "half", start_on_tonic=label == "A"
                    ) + self.harmony.phrase(length, "authentic", start_on_tonic=False)
            if label not in by_label and self.style.progressions:
                choices = self.style.progressions.get(plan.key.mode) or next(iter(self.style.progressions.values()))
                by_label[label] = self.harmony.progression(choices[len(by_label) % len(choices)])
            progression = by_label[label]
            for i in range(section.bars):
                bars.append(progression[(i // span) % len(progression)])
        self._cadences_into_sections(bars, span)
        # The cadence into the final chord: (pre-dominant) -> dominant -> tonic.
        if self.style.cadence not in ("V", "v"):
            bars[-1] = self.harmony.named_cadence(self.style.cadence)
            return bars
        bars[-1] = self.harmony.cadence_chord()
        pre = "iv" if plan.key.mode == "minor" else "IV"
        if len(bars) >= 3 and bars[-1].label in ("V", "v") and pre in self.harmony.mode["chords"]:
            bars[-2] = self.harmony.chord(pre, seventh=False)
        return bars

    def _cadences_into_sections(self, bars: list[Chord], span: int) -> None:
        """In minor, a looped section that leads into one starting on i ends on V: the raised
        leading tone says which key the loop is in (i bVI bIII bVII alone is also the relative
        major's vi IV I V). Phrygian styles (their cadence bII) keep their colour; the final
        cadence is set by `chords_per_bar`."""
        if self.plan.key.mode != "minor" or self.style.cadence == "bII":
            return
        if not (self.style.loop or self.style.progressions):
            return
        tonic = self.harmony.tonic_label
        for section in self.plan.sections[1:]:
            start = section.start_bar
            if start >= 2 * span and bars[start].label == tonic and bars[start - 1].label not in (tonic, "V"):
                # the corpus's V is major in minor too: its third is the raised leading tone
                bars[start - span : start] = [self.harmony.chord("V", seventh=self.style.sevenths)] * span

    # ---- the bars --------------------------------------------------------------------------

    def write(self) -> ScoreTokens:
        plan, meter = self.plan, self.meter
        chords = self.chords_per_bar()
        energies = plan.bar_energies()
        peak = max(energies)
        motifs: dict[str, object] = {}
        for bar, chord in enumerate(chords):
            section = plan.section_at_bar(bar)
            in_section = bar - section.start_bar
            energy = energies[bar]
            # Which layers play follows the bar's energy relative to the piece's peak, so a calm
            # lofi beat still has its drums; absolute energy sets loudness and busyness.
            level = energy / peak
            groove_level = 0 if level < 0.6 else (1 if level < 0.92 or self.plan.energy < 0.55 else 2)
            groove_level = min(groove_level, self.style.drum_level_cap)
            bar_beat = plan.bar_start_beat(bar)
            next_chord = (
                chords[(bar + 1) % len(chords)]
                if plan.loop
                else (chords[bar + 1] if bar + 1 < len(chords) else self.harmony.tonic())
            )
            last_bar = bar == len(chords) - 1
            section_end = in_section == section.bars - 1
            intro_start = section.role == "intro" and in_section < max(1, section.bars // 2)

            drums = self.parts.get("drums")
            if drums is not None and not intro_start:
                if self._learned("drums"):
                    self._learned_bar("drums", bar, bar_beat, energy)
                else:
                    grooves.play_bar(
                        drums,
                        self.style.groove,
                        meter,
                        bar_beat,
                        energy,
                        groove_level,
                        self.rng,
                        fill=section_end and (section.bars >= 4 or last_bar),
                        crash=in_section == 0 and (bar > 0 or plan.loop) and groove_level >= 1,
                    )
            bass = self.parts.get("bass")
            if bass is not None and (drums is None or not (intro_start and section.bars > 1)):
                if self._learned("bass"):
                    self._learned_bar("bass", bar, bar_beat, energy)
                else:
                    write_bass(bass, self.style.bass, chord, next_chord, meter, bar_beat, energy, bar, self.rng)
            if "chords" in self.parts:
                if self._learned("chords"):
                    self._learned_bar("chords", bar, bar_beat, energy)
                else:
                    write_comp(
                        self.parts["chords"],
                        self.style.comp,
                        chord,
                        meter,
                        bar_beat,
                        energy,
                        self.chord_voicer,
                        self.rng,
                    )
            if "pad" in self.parts and (level >= 0.75 or plan.style in SUSTAINED_PAD_STYLES):
                write_pad(self.parts["pad"], chord, meter, bar_beat, energy, self.pad_voicer)
            if "ostinato" in self.parts and level >= 0.7:
                self._ostinato(chord, bar_beat, energy, busy=groove_level == 2)
            if "timpani" in self.parts and level >= 0.6 and bar_beat >= 0:
                self.parts["timpani"].add(nearest_pitch(chord.root_pc, 45, 38, 55), bar_beat, 1.0, 70 + 40 * energy)
            if (
                "melody" in self.parts
                and (section.role != "intro" or len(plan.sections) == 1)
                and bar not in self.sung_bars
            ):
                if self.lead is not None:
                    self._learned_bar("melody", bar, bar_beat, energy)
                else:
                    self._melody_bar(section, in_section, chord, bar_beat, energy, motifs, last_bar and not plan.loop)
        self._mark_cuts(chords, energies)
        lyrics = self._sing(chords, energies)
        if not plan.loop:
            self._ending()
        parts = [p for p in self.parts.values() if p.notes]
        if plan.swing > 0.5 and not meter.is_compound:
            for part in parts:
                _swing(part, plan.swing, self.style.swing_unit)
        score = ScoreTokens(
            tempo_bpm=plan.tempo_bpm,
            quarters_per_beat=meter.quarters_per_beat,
            meter=meter.name,
            parts=parts,
            end_s=plan.duration_s,
            start_s=plan.lead_in_s,
            tempo_pins=list(plan.tempo_pins),
            lyrics=lyrics,
            style=plan.style,
            tonic_pc=plan.key.tonic_pc,
            loop=plan.loop,
        )
        rng = random.Random(f"humanise:{self._humanise_seed}")
        fixed = (plan.final_chord_beat, *plan.cut_beats())  # the final chord and the cuts stay exact
        humanise.humanise(score, humanise.feel_for(plan.style), rng, plan.pickup_offset_beats, fixed)
        return score

    def _melody_bar(self, section, in_section, chord, bar_beat, energy, motifs, last_bar) -> None:
        track = self.parts["melody"]
        label = section.name.rstrip("'")
        chorus = section.role in ("chorus", "build")
        self.melody.center = self.style.melody_register + (4 if chorus else 0)
        if label not in motifs:
            density = min(1.0, self.style.melody_density + (0.15 if chorus else 0.0))
            motifs[label] = self.melody.make_motif(density)
        motif = motifs[label] if section.name == label else self.melody.vary(motifs[label])
        position = in_section % self.phrase_bars
        velocity = 72 + 38 * energy
        minor_v = self.plan.key.mode == "minor" and (self.plan.key.tonic_pc + 11) % 12 in chord.pitch_classes()
        leading = (self.plan.key.tonic_pc + 11) % 12 if minor_v else None
        if last_bar or position == self.phrase_bars - 1 or in_section == section.bars - 1:
            self.melody.cadence_bar(track, chord, bar_beat, velocity, final=last_bar)
        elif position % 2 == 1:
            self.melody.play_bar(track, self.melody.vary(motif), chord, bar_beat, velocity, leading_tone=leading)
        else:
            self.melody.play_bar(track, motif, chord, bar_beat, velocity, leading_tone=leading)

    def _learned(self, role: str) -> bool:
        return self.lead is not None and self.lead.notes(role) is not None

    def _learned_bar(self, role: str, bar: int, bar_beat: float, energy: float) -> None:
        """One bar of a learned part: pitched parts moved by whole octaves so their median sits
        in the style's register for the role, downbeats accented."""
        bars = self.lead.notes(role)
        notes = bars[bar] if bar < len(bars) else []
        shift = 0 if role == "drums" else self._learned_shift(role)
        base, gain = LEARNED_VELOCITY[role]
        qpb = self.meter.quarters_per_beat
        for n in notes:
            start = bar_beat + n.onset_q / qpb
            if start < 0:
                continue
            accent = 1.08 if n.onset_q == 0 else 1.0
            velocity = (base + gain * energy) * accent * (DRUM_GAIN.get(n.pitch, 1.0) if role == "drums" else 1.0)
            pitch = n.pitch if role == "drums" else self._in_range(role, n.pitch + shift)
            self.parts[role].add(pitch, start, n.duration_q / qpb * 0.95, velocity)

    def _in_range(self, role: str, pitch: int) -> int:
        """A learned note folded by octaves into the role's range (a line that strays far from
        its median must not reach sub-bass or shrill heights)."""
        centre = self._register(role)
        while pitch < centre - 14:
            pitch += 12
        while pitch > centre + 17:
            pitch -= 12
        return pitch

    def _register(self, role: str) -> int:
        return {"melody": self.style.melody_register, "bass": BASS_REGISTER, "chords": self.style.comp_register}[role]

    def _learned_shift(self, role: str) -> int:
        if role not in self._shifts:
            register = self._register(role)
            pitches = sorted(n.pitch for notes in self.lead.notes(role) for n in notes) or [register]
            self._shifts[role] = 12 * round((register - pitches[len(pitches) // 2]) / 12)
        return self._shifts[role]

    def _ostinato(self, chord: Chord, bar_beat: float, energy: float, busy: bool) -> None:
        """Cinematic strings: a driving figure on root, third and fifth in even notes."""
        track, per_beat = self.parts["ostinato"], 4 if busy else 2
        root = nearest_pitch(chord.root_pc, 50, 43, 62)
        third = root + (chord.third_pc - chord.root_pc) % 12
        figure = [root, root, third, root, root + 7, root, third, root + 12]
        for i in range(self.meter.beats_per_bar * per_beat):
            start = bar_beat + i / per_beat
            if start >= 0:
                track.add(
                    figure[i % len(figure)],
                    start,
                    0.8 / per_beat,
                    (62 + 40 * energy) * (1.1 if i % per_beat == 0 else 0.9),
                )

    def _sing(self, chords, energies) -> list[tuple[float, str]]:
        """Each lyric line set to melody on the vocal part; returns the lyric events."""
        plan, events = self.plan, []
        slots = plan.lyric_slots
        for i, slot in enumerate(slots):
            closing = i + 1 == len(slots) or slots[i + 1].section != slot.section
            line_chords = chords[slot.start_bar : slot.start_bar + slot.bars]
            events += sing_line(
                self.parts["vocal"],
                slot.line.syllables,
                plan.bar_start_beat(slot.start_bar),
                slot.bars,
                self.meter,
                line_chords,
                self.melody,
                76 + 30 * energies[slot.start_bar],
                closing,
            )
        return events

    def _mark_cuts(self, chords, energies) -> None:
        """A video's cuts are heard: a crash and kick (or, with no drums, a low root and the chord)
        on the beat each cut lands on."""
        plan, bpb = self.plan, self.meter.beats_per_bar
        for beat in plan.cut_beats():
            bar = min(len(chords) - 1, max(0, int((beat + plan.pickup_offset_beats) // bpb)))
            chord, velocity = chords[bar], 80 + 35 * energies[bar]
            if "drums" in self.parts:
                self.parts["drums"].add(grooves.CRASH, beat, 1.5, velocity)
                self.parts["drums"].add(grooves.KICK, beat, 0.5, velocity)
            low = self.parts.get("bass") or self.parts.get("chords")
            if low is not None:
                low.add(nearest_pitch(chord.root_pc, 36, 28, 50), beat, 1.0, velocity)
            if "drums" not in self.parts and "chords" in self.parts:
                for pitch in self.chord_voicer.voice(chord):
                    self.parts["chords"].add(pitch, beat, 1.0, velocity * 0.9)

    def _ending(self) -> None:
        """The final tonic chord on the downbeat after the cadence, left to ring."""
        plan = self.plan
        beat = plan.final_chord_beat
        ring_beats = plan.ring_s / plan.beat_s
        hold = max(0.25, ring_beats * 0.8)
        tonic = self.harmony.tonic(seventh=self.style.sevenths and plan.style in ("lofi", "jazz", "bossa"))
        velocity = 70 + 30 * plan.energy
        for role in ("chords", "pad"):
            if role in self.parts:
                voicer = self.chord_voicer if role == "chords" else self.pad_voicer
                for pitch in voicer.voice(tonic):
                    self.parts[role].add(pitch, beat, hold, velocity * (0.85 if role == "pad" else 1.0))
        if "bass" in self.parts:
            self.parts["bass"].add(nearest_pitch(tonic.root_pc, 36, 28, 50), beat, hold, velocity + 5)
        elif "chords" in self.parts:
            self.parts["chords"].add(nearest_pitch(tonic.root_pc, 38, 28, 50), beat, hold, velocity)
        if "melody" in self.parts:
            self.melody.final_note(self.parts["melody"], beat, hold, velocity + 8)
        if "ostinato" in self.parts:
            self.parts["ostinato"].add(nearest_pitch(tonic.root_pc, 45, 36, 55), beat, hold, velocity)
        if "timpani" in self.parts:
            self.parts["timpani"].add(nearest_pitch(tonic.root_pc, 45, 38, 55), beat, 1.5, 110)
        if "drums" in self.parts:
            drums = self.parts["drums"]
            drums.add(grooves.CRASH, beat, 2.0, 100)
            drums.add(grooves.KICK, beat, 0.5, 110)


def _swing(track: Part, swing: float, unit: float) -> None:
    """Delay off-beat notes: within each pair of `unit`s the second starts at `swing` of the pair."""
    pair = 2 * unit

    def warp(beat: float) -> float:
        cell = math.floor(beat / pair + 1e-9)
        frac = beat / pair - cell
        frac = frac * 2 * swing if frac <= 0.5 else swing + (frac - 0.5) * 2 * (1 - swing)
        return (cell + frac) * pair

    for note in track.notes:
        start, end = warp(note.start_beat), warp(note.start_beat + note.duration_beats)
        note.start_beat, note.duration_beats = start, max(0.05, end - start)
