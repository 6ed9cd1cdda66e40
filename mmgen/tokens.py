"""What decoders emit and codecs consume.

Three token kinds, one per codec family:
- `ScoreTokens`: a symbolic score (note events on named parts, timed in counted beats), rendered
  by the SoundFont codec. Rule-based and learned symbolic decoders emit these.
- `AudioTokens`: codebook indices `[B, K, T]` of a neural audio codec (EnCodec), emitted by
  MusicGen-style decoders.
- `LatentTokens`: continuous latents `[B, C, T]` of an audio VAE, emitted by the diffusion
  decoders (ACE-Step, Stable Audio 3) and rendered by their own VAE.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

DRUM_CHANNEL = 9


@dataclass
class NoteEvent:
    pitch: int  # MIDI 0..127 (GM drum map on drum parts)
    start_beat: float  # counted beats from the start of the piece
    duration_beats: float
    velocity: int  # 1..127


@dataclass
class Part:
    name: str  # role: "melody", "bass", "chords", "pad", "drums", ...
    program: int  # General MIDI program 0..127 (ignored for drums)
    is_drum: bool = False
    notes: list[NoteEvent] = field(default_factory=list)
    volume: int = 100  # MIDI CC7
    pan: int = 64  # MIDI CC10
    reverb: int = 40  # MIDI CC91
    pedal: list[tuple[float, float]] = field(default_factory=list)  # sustain pedal (CC64): (down, up) beats

    def add(self, pitch: int, start_beat: float, duration_beats: float, velocity: int) -> None:
        if duration_beats <= 0:
            return
        velocity = int(min(127, max(1, velocity)))
        self.notes.append(NoteEvent(int(pitch), float(start_beat), float(duration_beats), velocity))


@dataclass
class ScoreTokens:
    """A multi-track score at one tempo. Times are in counted beats (see `Meter`); a beat lasts
    60 / tempo_bpm seconds and beat 0 sounds at `start_s`. `end_s` is the exact length the
    rendered audio must have."""

    tempo_bpm: float
    quarters_per_beat: float
    meter: str  # "3/4"
    parts: list[Part]
    end_s: float
    kind: str = "score"
    start_s: float = 0.0  # a lead-in before beat 0 (videos: so the cuts land on beats)
    tempo_pins: list[tuple[float, float]] = field(default_factory=list)  # (beat, s) the tempo bends to
    lyrics: list[tuple[float, str]] = field(default_factory=list)  # (beat, syllable) sung by the vocal part
    notes: dict = field(default_factory=dict)  # for the report: what a learned model could and could not follow
    style: str = ""  # the plan's style: how the studio produces it (assets/production)
    tonic_pc: int | None = None  # the key's tonic pitch class 0..11: the studio tunes its drums to it
    loop: bool = False  # a seamless loop: codecs fold what rings past end_s back onto the start

    def beat_to_s(self, beat: float) -> float:
        from .timeline import beat_time

        return beat_time(beat, self.tempo_bpm, self.start_s, self.tempo_pins)

    @property
    def note_count(self) -> int:
        return sum(len(t.notes) for t in self.parts)

    def to_midi(self):
        """The score as a `pretty_midi.PrettyMIDI` (times in seconds, one instrument per track,
        the sung syllables as lyric events)."""
        import pretty_midi

        midi = pretty_midi.PrettyMIDI(initial_tempo=self.tempo_bpm * self.quarters_per_beat)
        num, den = (int(x) for x in self.meter.split("/"))
        midi.time_signature_changes.append(pretty_midi.TimeSignature(num, den, 0.0))
        for track in self.parts:
            inst = pretty_midi.Instrument(program=track.program, is_drum=track.is_drum, name=track.name)
            for n in track.notes:
                start = self.beat_to_s(n.start_beat)
                end = min(self.beat_to_s(n.start_beat + n.duration_beats), self.end_s)
                if end - start > 1e-3:
                    inst.notes.append(pretty_midi.Note(n.velocity, n.pitch, start, end))
            for number, value in ((7, track.volume), (10, track.pan), (91, track.reverb), (93, 0)):
                inst.control_changes.append(pretty_midi.ControlChange(number, value, 0.0))
            for down, up in track.pedal:
                inst.control_changes.append(pretty_midi.ControlChange(64, 127, self.beat_to_s(down)))
                inst.control_changes.append(pretty_midi.ControlChange(64, 0, min(self.beat_to_s(up), self.end_s)))
            midi.instruments.append(inst)
        for beat, text in self.lyrics:
            midi.lyrics.append(pretty_midi.Lyric(text, self.beat_to_s(beat)))
        return midi

    def to_midi_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.to_midi().write(buffer)
        return buffer.getvalue()


@dataclass
class AudioTokens:
    """Codebook indices of a neural audio codec.

    codes: int64 `[B, K * channels, T]` (batch, codebooks, frames; stereo interleaves left/right
    codebooks); frame_rate_hz frames per second; end_s the exact length the audio must have.
    `codec_model` is the codec network the tokens belong to (MusicGen carries its own EnCodec).
    """

    codes: np.ndarray
    codebook_size: int
    frame_rate_hz: float
    codec: str  # registry name of the codec that decodes them
    end_s: float
    channels: int = 1
    codec_model: object = field(default=None, repr=False)
    notes: dict = field(default_factory=dict)  # for the report: caption, checkpoint, device...
    kind: str = "audio"


@dataclass
class LatentTokens:
    """Continuous latents of an audio autoencoder (a diffusion pipeline's VAE).

    latents: float32 `[B, C, T]` (batch, latent channels, latent frames); frame_rate_hz latent
    frames a second; end_s the exact length the audio must have. `vae` is the autoencoder the
    latents belong to (each pipeline carries its own, as MusicGen carries its EnCodec), and
    `codec` the registry name of the codec that renders them with it.
    """

    latents: np.ndarray
    frame_rate_hz: float
    codec: str
    end_s: float
    vae: object = field(default=None, repr=False)
    notes: dict = field(default_factory=dict)  # for the report: caption, checkpoint, steps, device...
    kind: str = "latent"
