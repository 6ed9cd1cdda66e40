"""Subtractive and FM synth voices played from a score part (a [voices] entry of
assets/production/synths.toml): unison oscillators detuned and spread in stereo, a sub
oscillator, a resonant filter with its own envelope, an amplitude envelope and saturation.

Notes that repeat (same pitch, same length) are rendered once and reused: a loop-based track
repeats most of its notes, and a synth's free-running phases make no audible difference."""

from __future__ import annotations

import math
import zlib

import numpy as np

from ..tokens import Part, ScoreTokens
from . import dsp

MAX_NOTE_S = 12.0  # a held note longer than this is cut (a pad re-strikes long before)


def _frequency(pitch: int) -> float:
    return 440.0 * 2.0 ** ((pitch - 69) / 12.0)


def _oscillator(voice: dict, freq, n: int, rate: int, start_phase: float, t: np.ndarray) -> np.ndarray:
    wave = voice["wave"]
    p = dsp.phase(freq, n, rate, start_phase)
    dt = np.asarray(freq) / rate
    if wave == "saw":
        return dsp.saw(p, dt)
    if wave == "square":
        return dsp.pulse(p, dt, 0.5)
    if wave == "pulse":
        return dsp.pulse(p, dt, voice.get("width", 0.25))
    if wave == "triangle":
        return dsp.triangle(p)
    if wave == "fm":  # phase modulation by a sine at `ratio` times the pitch, its index decaying
        index = voice.get("index", 2.0) * np.exp(-t * 3.0 / voice.get("index_decay_s", 0.5))
        return np.sin(2 * np.pi * p + index * np.sin(2 * np.pi * ((p * voice.get("ratio", 1.0)) % 1.0)))
    return np.sin(2 * np.pi * p)


def render_note(voice: dict, pitch: int, hold_s: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """One note `[2, n]` at full velocity: held `hold_s`, then its release."""
    hold_s = min(hold_s, MAX_NOTE_S)
    n = int((hold_s + voice.get("release_s", 0.1)) * rate) + 1
    hold = int(hold_s * rate)
    t = np.arange(n) / rate
    base = _frequency(pitch + 12 * voice.get("octave", 0))
    if voice.get("pitch_drop"):  # falls from above to the pitch at each onset (808)
        base = base * 2.0 ** (voice["pitch_drop"] / 12.0 * np.exp(-t / voice.get("drop_s", 0.04)))
    unison = max(1, int(voice.get("unison", 1)))
    detunes = np.linspace(-0.5, 0.5, unison) * voice.get("detune_cents", 0.0) if unison > 1 else np.zeros(1)
    pans = np.linspace(-1.0, 1.0, unison) * voice.get("spread", 0.0) if unison > 1 else np.zeros(1)
    out = np.zeros((2, n))
    for cents, pan in zip(detunes, pans):
        tone = _oscillator(voice, base * 2.0 ** (cents / 1200.0), n, rate, float(rng.random()), t)
        angle = (pan + 1.0) * math.pi / 4.0  # equal-power pan
        out[0] += math.cos(angle) * tone
        out[1] += math.sin(angle) * tone
    out /= math.sqrt(unison) * math.cos(math.pi / 4.0)
    if voice.get("sub"):
        sub = voice["sub"] * np.sin(2 * np.pi * dsp.phase(np.asarray(base) / 2.0, n, rate))
        out += sub[None, :]
    cutoff, env_hz = voice.get("cutoff_hz", 12000.0), voice.get("env_hz", 0.0)
    if cutoff < 11000 or env_hz:
        tracked = cutoff * (np.mean(base) / 261.6) ** voice.get("key_track", 0.0)
        sweep = tracked + env_hz * np.exp(-t * 3.0 / voice.get("filter_decay_s", 0.3))
        resonance = voice.get("resonance", 0.0)
        out = np.stack([dsp.lowpass(channel, sweep, float(rate), resonance) for channel in out])
    out *= dsp.adsr(
        n,
        hold,
        rate,
        voice.get("attack_s", 0.005),
        voice.get("decay_s", 0.3),
        voice.get("sustain", 0.7),
        voice.get("release_s", 0.1),
    )[None, :]
    return dsp.soft_clip(out, voice.get("drive", 0.0))


def velocity_gain(velocity: int) -> float:
    """MIDI velocity -> amplitude: about 30 dB from pianissimo to fortissimo."""
    return (velocity / 127.0) ** 1.6


def render_synth_part(part: Part, voice: dict, score: ScoreTokens, rate: int) -> np.ndarray:
    """The part played by `voice`: float32 `[2, round(end_s * rate)]`."""
    total = int(round(score.end_s * rate))
    out = np.zeros((2, total), dtype=np.float64)
    rng = np.random.default_rng(zlib.crc32(f"{part.name}:{voice.get('label')}".encode()))
    rendered: dict[tuple[int, int], np.ndarray] = {}
    for note in part.notes:
        start_s = score.beat_to_s(note.start_beat)
        hold_s = min(score.beat_to_s(note.start_beat + note.duration_beats), score.end_s) - start_s
        start = int(round(start_s * rate))
        if start >= total or hold_s <= 0:
            continue
        key = (note.pitch, int(round(hold_s * 200)))  # lengths within 5 ms share a rendering
        if key not in rendered:
            rendered[key] = render_note(voice, note.pitch, key[1] / 200.0, rate, rng)
        sound = rendered[key]
        end = min(total, start + sound.shape[1])
        out[:, start:end] += velocity_gain(note.velocity) * sound[:, : end - start]
    return out.astype(np.float32)
