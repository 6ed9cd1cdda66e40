"""The live synthesizer: one FluidSynth kept running for the whole session, fed note events at
sample positions, so a note held across a bar line, a release or the synth's reverb carries on
into the next chunk exactly as it would in one long render. A streaming master bus (pedalboard
with its state kept between calls: glue compressor, make-up gain, limiter) brings it to a steady
loudness: a leveller measures each bar (BS.1770, pyloudnorm) before it leaves and ramps its gain
towards the bar's target over the bar; a soft clip above -1 dBFS (no memory, so nothing to carry)
catches what peaks past it."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np

from ..codecs.soundfont import find_soundfont
from ..errors import Unavailable
from ..registry import Availability
from ..tokens import DRUM_CHANNEL

RATE_HZ = 44100
SYNTH_GAIN = 0.35  # FluidSynth's own output gain: headroom for a full band
CEILING = 10 ** (-1.0 / 20)  # the soft clip leaves everything under -1 dBFS untouched
MAX_STEP_DB = 4.0  # the leveller moves at most this much in one bar, along a ramp over the bar


def live_availability() -> Availability:
    try:
        import fluidsynth  # noqa: F401  (raises when the FluidSynth library itself is missing)
    except (ImportError, OSError):
        return Availability(
            False,
            "live music needs the FluidSynth synthesizer: pip install pyfluidsynth, and the library "
            "(Debian/Ubuntu: apt install libfluidsynth3; macOS: brew install fluid-synth)",
        )
    path, why = find_soundfont()
    return Availability(path is not None, "" if path else why)


def soft_clip(audio: np.ndarray) -> np.ndarray:
    """Samples under CEILING unchanged; above it bent smoothly (tanh) so none reaches 1."""
    over = np.abs(audio) > CEILING
    if not over.any():
        return audio
    room = 1.0 - CEILING
    bent = np.sign(audio) * (CEILING + room * np.tanh((np.abs(audio) - CEILING) / room))
    return np.where(over, bent, audio).astype(np.float32)


@dataclass(frozen=True)
class Voice:
    """What a part sounds like: its General MIDI program and its mixer settings."""

    program: int
    is_drum: bool
    volume: int = 100
    pan: int = 64
    reverb: int = 40


class StreamingSynth:
    """Channels assigned to parts by name; `render(events, n)` -> float32 `[2, n]`."""

    def __init__(self) -> None:
        status = live_availability()
        if not status.ok:
            raise Unavailable(status.reason)
        import fluidsynth
        import pedalboard as p

        self._fl = fluidsynth
        self._synth = fluidsynth.Synth(gain=SYNTH_GAIN, samplerate=float(RATE_HZ))
        path, _ = find_soundfont()
        self._font = self._synth.sfload(str(path))
        self._write = fluidsynth._fl.fluid_synth_write_float
        self._write.argtypes = [ctypes.c_void_p, ctypes.c_int] + [ctypes.c_void_p, ctypes.c_int, ctypes.c_int] * 2
        self._channels: dict[str, int] = {}
        self._voices: dict[int, Voice] = {}
        import pyloudnorm

        self._glue = p.Compressor(threshold_db=-20.0, ratio=2.5, attack_ms=15.0, release_ms=200.0)
        self._meter = pyloudnorm.Meter(RATE_HZ)
        self._gain_db: float | None = None

    def channel(self, role: str, voice: Voice) -> int:
        """The channel that plays `role`, set to `voice` (a program change only affects notes
        started after it: what still rings keeps its sound)."""
        if voice.is_drum:
            number = DRUM_CHANNEL
        elif role in self._channels:
            number = self._channels[role]
        else:
            used = set(self._channels.values()) | {DRUM_CHANNEL}
            free = [c for c in range(16) if c not in used]
            number = free[0] if free else len(self._channels) % 15
        self._channels[role] = number
        if self._voices.get(number) != voice:
            self._synth.program_select(
                number, self._font, 128 if voice.is_drum else 0, 0 if voice.is_drum else voice.program
            )
            for control, value in ((7, voice.volume), (10, voice.pan), (91, voice.reverb)):
                self._synth.cc(number, control, int(value))
            self._voices[number] = voice
        return number

    def render(self, events: list[tuple[int, int, int, int, int]], length: int, target_lufs: float) -> np.ndarray:
        """The next `length` samples float32 `[2, length]` of `events` (see `play`), through the
        glue compressor, levelled towards `target_lufs`, soft-clipped."""
        glued = self._glue(self.play(events, length), RATE_HZ, reset=False)
        return soft_clip(self._level(glued, target_lufs))

    def play(self, events: list[tuple[int, int, int, int, int]], length: int) -> np.ndarray:
        """events (sample offset < length, 1 on / 0 off, channel, pitch, velocity), any order ->
        the synth's next `length` samples float32 `[2, length]`, its voices carried on."""
        out = np.zeros((2, length), dtype=np.float32)
        at = 0
        for offset, on, channel, pitch, velocity in sorted(events, key=lambda e: (e[0], e[1])):
            offset = min(max(offset, at), length)
            self._fill(out, at, offset)
            at = offset
            if on:
                self._synth.noteon(channel, pitch, velocity)
            else:
                self._synth.noteoff(channel, pitch)
        self._fill(out, at, length)
        return out

    def _level(self, audio: np.ndarray, target_lufs: float) -> np.ndarray:
        """The bar with a gain ramp from the last bar's gain towards what brings it to the target."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a near-silent bar: pyloudnorm warns, the gain stays
            loudness = self._meter.integrated_loudness(audio.T.astype(np.float64))
        start = self._gain_db
        wanted = target_lufs - loudness if np.isfinite(loudness) and loudness > -60 else start
        if wanted is None:
            return audio
        end = wanted if start is None else float(np.clip(wanted, start - MAX_STEP_DB, start + MAX_STEP_DB))
        start = end if start is None else start
        self._gain_db = end
        ramp = np.linspace(start, end, audio.shape[-1], dtype=np.float32)
        return (audio * 10 ** (ramp / 20)[None, :]).astype(np.float32)

    def _fill(self, out: np.ndarray, start: int, end: int) -> None:
        if end <= start:
            return
        left, right = out[0, start:end], out[1, start:end]  # contiguous views of the C-ordered rows
        self._write(self._synth.synth, end - start, left.ctypes.data, 0, 1, right.ctypes.data, 0, 1)

    def close(self) -> None:
        self._synth.delete()
