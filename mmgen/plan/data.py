"""MusicPlan: the explicit, inspectable description of the piece every decoder follows.

Timeline: after an optional lead-in of `lead_in_s` (videos: so cuts land on beats) the music
runs for `total_bars` bars (the first may be a pickup that starts `pickup_offset_beats` into the
bar), then the final chord lands on a downbeat at `final_chord_s` and rings for `ring_s`, so that
final_chord_s + ring_s == duration_s exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..music import Key, Meter
from ..timeline import beat_time, time_beat


def phrase_bars(bar_s: float) -> int:
    """Bars per phrase: 4, or 8 when bars are short (fast tempos), so phrases last 6-12 s."""
    return 8 if bar_s < 1.45 else 4


@dataclass
class Section:
    name: str  # "Intro", "A", "B", "A'", "Outro"
    role: str  # "intro" | "verse" | "chorus" | "bridge" | "build" | "outro"
    start_bar: int
    bars: int
    energy: float  # 0..1

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "role": self.role,
            "start_bar": self.start_bar,
            "bars": self.bars,
            "energy": round(self.energy, 3),
        }


@dataclass
class MusicPlan:
    prompt: str
    duration_s: float
    tempo_bpm: float
    key: Key
    meter: Meter
    style: str  # descriptor name, e.g. "lofi"
    style_label: str
    moods: list[str]
    uses: list[str]
    instruments: dict[str, int]  # role -> General MIDI program
    instrument_names: list[str]  # instruments the prompt asked for
    sections: list[Section]
    total_bars: int
    pickup_offset_beats: float
    ring_s: float
    swing: float  # 0.5 = straight eighths, 0.66 = triplet swing
    energy: float  # overall 0..1
    arc: str
    reasons: dict[str, str] = field(default_factory=dict)
    lead_in_s: float = 0.0  # the first beat's time (videos: so the cuts land on beats)
    tempo_pins: list[tuple[float, float]] = field(default_factory=list)  # (beat, s): cuts hit by bending the tempo
    cuts_s: list[float] = field(default_factory=list)  # a video's main cuts (or the user's)
    picture_energies: list[float] | None = None  # per bar 0..1, from a video's motion and light
    lyric_slots: list = field(default_factory=list)  # LyricSlot: the bars each sung line takes
    scene: str = ""  # a picture's caption (BLIP), when one was made
    colour: str = ""  # a second style that lends some of its instruments and patterns ("lofi jazz")
    arrangement: dict[str, str] = field(default_factory=dict)  # groove / bass / comp the style's defaults yield to
    register_shift: int = 0  # semitones the moods move the melody by
    density_shift: float = 0.0  # melody notes per beat the moods add
    drum_level_cap: int = 2  # the groove's busiest layer the moods allow (0 lightest .. 2 all)
    excluded: list[str] = field(default_factory=list)  # instruments the description refused ("no drums")
    language: str = "en"  # the description's language: the explanation answers in it
    words_read: list[str] = field(default_factory=list)  # what the description named outright
    loop: bool = False  # a seamless loop: whole bars, no ending, the last bar leads back to the first

    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo_bpm

    @property
    def bar_s(self) -> float:
        return self.meter.beats_per_bar * self.beat_s

    @property
    def final_chord_beat(self) -> float:
        return self.total_bars * self.meter.beats_per_bar - self.pickup_offset_beats

    @property
    def final_chord_s(self) -> float:
        return self.beat_time(self.final_chord_beat)

    def beat_time(self, beat: float) -> float:
        """Seconds from the start of the audio to counted beat `beat` (see timeline.beat_time)."""
        return beat_time(beat, self.tempo_bpm, self.lead_in_s, self.tempo_pins)

    def cut_beats(self) -> list[int]:
        """The beat each cut before the final chord lands on (the music marks them)."""
        return [
            round(time_beat(c, self.tempo_bpm, self.lead_in_s, self.tempo_pins))
            for c in self.cuts_s
            if c < self.final_chord_s - 1e-6
        ]

    @property
    def phrase_bars(self) -> int:
        return phrase_bars(self.bar_s)

    def bar_start_beat(self, bar: int) -> float:
        """Beat (from the start of the audio) of the downbeat of `bar`; bar 0 may start early."""
        return bar * self.meter.beats_per_bar - self.pickup_offset_beats

    def bar_energies(self) -> list[float]:
        """Energy 0..1 of each bar: its section's level, ramping through build sections (or, for
        a video, following the picture's energy), smoothed across section boundaries."""
        per_bar = []
        picture = self.picture_energies
        peak = max(picture) if picture else 1.0
        for section in self.sections:
            for i in range(section.bars):
                if picture:
                    shape = 0.6 + 0.4 * picture[min(section.start_bar + i, len(picture) - 1)] / max(peak, 1e-6)
                else:
                    shape = 0.8 + 0.2 * ((i + 1) / section.bars if section.role == "build" else 1.0)
                per_bar.append(section.energy * shape)
        smoothed = np.convolve(np.pad(per_bar, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
        return [float(e) for e in smoothed]

    def energy_curve(self) -> list[tuple[float, float]]:
        """(time_s, energy 0..1) at each bar start, then the decay of the final chord."""
        energies = self.bar_energies()
        points = [(max(0.0, self.beat_time(self.bar_start_beat(b))), e) for b, e in enumerate(energies)]
        points.append((self.final_chord_s, energies[-1]))
        points.append((self.duration_s, 0.0))
        return points

    def section_at_bar(self, bar: int) -> Section:
        for section in self.sections:
            if section.start_bar <= bar < section.start_bar + section.bars:
                return section
        return self.sections[-1]

    def to_dict(self) -> dict:
        return {
            "prompt": self.prompt,
            "duration_s": self.duration_s,
            "tempo_bpm": round(self.tempo_bpm, 3),
            "key": self.key.name,
            "meter": self.meter.name,
            "style": self.style,
            "style_label": self.style_label,
            "colour": self.colour,
            "arrangement": self.arrangement,
            "language": self.language,
            "words_read": self.words_read,
            "excluded": self.excluded,
            "register_shift": self.register_shift,
            "density_shift": round(self.density_shift, 3),
            "drum_level_cap": self.drum_level_cap,
            "moods": self.moods,
            "uses": self.uses,
            "instruments": self.instruments,
            "requested_instruments": self.instrument_names,
            "sections": [s.to_dict() for s in self.sections],
            "total_bars": self.total_bars,
            "pickup_offset_beats": self.pickup_offset_beats,
            "final_chord_s": round(self.final_chord_s, 4),
            "ring_s": round(self.ring_s, 4),
            "swing": self.swing,
            "energy": round(self.energy, 3),
            "arc": self.arc,
            "loop": self.loop,
            "lead_in_s": round(self.lead_in_s, 4),
            "cuts_s": [round(c, 3) for c in self.cuts_s],
            "tempo_pins": [[b, round(t, 4)] for b, t in self.tempo_pins],
            "lyric_lines": [
                {
                    "start_bar": slot.start_bar,
                    "bars": slot.bars,
                    "section": slot.section,
                    "text": slot.line.text,
                    "syllables": [s.text for s in slot.line.syllables],
                }
                for slot in self.lyric_slots
            ],
            "energy_curve": [[round(t, 3), round(e, 3)] for t, e in self.energy_curve()],
            "reasons": self.reasons,
        }

    def explain(self, production: dict | None = None) -> str:
        """The plan in plain words, in the description's language: what was chosen and why (Markdown).
        `production`: the studio's notes on a produced score (Waveform.notes), to say which parts
        its synths and drum machines play, and its mix."""
        from .messages import mood_name, say, style_name

        r, lang = self.reasons, self.language
        bars = lambda n: say("bar" if n == 1 else "bars", lang, n=n)
        form = " → ".join(f"{s.name} ({bars(s.bars)})" for s in self.sections)
        lines = [f"**{say('what_it_read', lang)}:** {r['input'][0].upper()}{r['input'][1:]}."] if r.get("input") else []
        if self.words_read:
            lines.append(f"**{say('words_read', lang)}:** {', '.join(self.words_read)}")
        moods = ", ".join(mood_name(m, lang) for m in self.moods) or say("neutral", lang)
        lines += [
            f"**{say('style', lang)}:** {style_name(self.style, lang)} — {r.get('style', '')}",
            f"**{say('mood', lang)}:** {moods} — {r.get('mood', '')}"
            + (f"; {r['feeling']}" if r.get("feeling") else ""),
            f"**{say('tempo', lang)}:** {self.tempo_bpm:.1f} BPM — {r.get('tempo', '')}",
            f"**{say('key', lang)}:** {self.key.tonic_name} {say(self.key.mode, lang)} — {r.get('key', '')}",
            f"**{say('meter', lang)}:** {self.meter.name} — {r.get('meter', '')}",
            f"**{say('instruments', lang)}:** {r.get('instruments', '')}",
            *([f"**{say('sound', lang)}:** {_studio_line(production, lang)}"] if production else []),
            *([f"**{say('song_form', lang)}:** {r['form']}"] if r.get("form") else []),
            f"**{say('form', lang)}:** " + self._form_words(form, lang),
        ]
        return "\n\n".join(lines)

    def _form_words(self, form: str, lang: str) -> str:
        from .messages import say

        duration = f"{self.duration_s:.2f}".rstrip("0").rstrip(".")
        if self.loop:
            return say("loop_form", lang, form=form, bars=self.total_bars, duration=duration)
        return say("ending", lang, form=form, tonic=self.key.tonic_name, ring=f"{self.ring_s:.1f}", duration=duration)


def _studio_line(production: dict, lang: str) -> str:
    """What the studio played: "saw lead (melody), 808 drum machine (drums)", and its mix."""
    from .messages import say

    studio = production.get("studio_voices", {})
    voices = ", ".join(f"{label} ({role})" for role, label in studio.items())
    rest = say("studio_rest", lang) if len(production.get("instruments", {})) > len(studio) else ""
    return say("studio_sound" if voices else "studio_mix_only", lang, voices=voices, rest=rest, mix=production["mix"])
