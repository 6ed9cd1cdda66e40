"""Drum machines: each drum of a [kits] entry (assets/production/synths.toml) synthesized the way
analog machines make them (a kick is a sine sweeping down, hats are six detuned square waves
and noise, high-passed), every hit of the part placed at its velocity. General MIDI drums the
kit lacks (congas, claves...) are handed back for the SoundFont to play."""

from __future__ import annotations

import zlib
from functools import cache

import numpy as np
from scipy.signal import butter, sosfilt

from ..tokens import NoteEvent, Part, ScoreTokens
from . import dsp
from .synth import velocity_gain

DRUM_OF_PITCH = {
    35: "kick",
    36: "kick",
    37: "rim",
    38: "snare",
    40: "snare",
    39: "clap",
    42: "closed_hat",
    44: "pedal_hat",
    46: "open_hat",
    49: "crash",
    52: "crash",
    55: "crash",
    57: "crash",
    51: "ride",
    53: "ride",
    59: "ride",
    56: "cowbell",
    54: "shaker",
    69: "shaker",
    70: "shaker",
    82: "shaker",
    **dict.fromkeys((41, 43, 45, 47, 48, 50), "tom"),
}
TOM_HZ = {41: 82.0, 43: 98.0, 45: 110.0, 47: 131.0, 48: 147.0, 50: 175.0}
# Tuned to the key, as producers tune their kicks and 808s: a drum machine's kick sustains a
# pitch long enough to pull the key a listener (or a key finder) hears.
KICK_LOWEST_HZ = 41.0  # the kick rests on the tonic between 41 and 82 Hz (E1 to E2)
SNARE_LOWEST_HZ = 160.0  # the snare's tone: the key's fifth from 160 Hz
TOM_LOWEST_HZ = 73.0  # the lowest tom: the tonic from 73 Hz; the others a fourth, fifth, octave... up
TOM_STEPS = {41: 0, 43: 5, 45: 7, 47: 12, 48: 17, 50: 19}
METAL_HZ = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)  # the TR-808's cymbal oscillators
CHOKES = {"open_hat": ("closed_hat", "pedal_hat")}  # a closed hat silences a ringing open one
LEVEL = {"kick": 1.0, "snare": 0.8, "clap": 0.7, "rim": 0.5, "tom": 0.75, "cowbell": 0.35, "shaker": 0.3}
HAT_LEVEL = 0.32  # hats and cymbals


def _decay(t: np.ndarray, decay_s: float) -> np.ndarray:
    return np.exp(-t * dsp.DB60 / max(decay_s, 1e-3))


def _filtered(x: np.ndarray, rate: int, kind: str, hz) -> np.ndarray:
    return sosfilt(butter(2, hz, btype=kind, fs=rate, output="sos"), x)


def _metal(t: np.ndarray, rate: int) -> np.ndarray:
    return sum(dsp.pulse(dsp.phase(hz, t.size, rate), hz / rate) for hz in METAL_HZ) / len(METAL_HZ)


def _hit(drum: str, spec: dict, pitch: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """One hit `[n]` at full velocity, peak about 1 (before the drum's level)."""
    decay = spec.get("decay_s", 0.3)
    t = np.arange(int(decay * rate * 1.05) + 1) / rate
    noise = rng.standard_normal(t.size)
    if drum == "kick":
        t = np.arange(int(spec["decay_s"] * rate) + 1) / rate
        freq = spec["end_hz"] + (spec["start_hz"] - spec["end_hz"]) * np.exp(-t / spec["sweep_s"])
        out = np.sin(2 * np.pi * np.cumsum(freq) / rate) * _decay(t, spec["decay_s"])
        click = _filtered(rng.standard_normal(t.size), rate, "highpass", 2000) * _decay(t, 0.006)
        out = dsp.soft_clip(out + spec.get("click", 0.0) * click, spec.get("drive", 0.0))
    elif drum == "snare":
        t = np.arange(int(max(spec["tone_decay_s"], spec["noise_decay_s"]) * rate) + 1) / rate
        tone_hz = spec["tone_hz"] * (1 + 0.3 * np.exp(-t / 0.01))
        tone = np.sin(2 * np.pi * np.cumsum(tone_hz) / rate) * _decay(t, spec["tone_decay_s"])
        rattle = _filtered(rng.standard_normal(t.size), rate, "bandpass", (900, spec["noise_hz"]))
        rattle = rattle / (np.abs(rattle).max() + 1e-9) * _decay(t, spec["noise_decay_s"])
        out = spec.get("tone", 0.4) * tone + (1 - spec.get("tone", 0.4)) * rattle
    elif drum == "clap":
        band = _filtered(noise, rate, "bandpass", (spec["noise_hz"] * 0.6, spec["noise_hz"] * 1.8))
        envelope = 0.6 * _decay(np.maximum(t - spec["spacing_s"] * (spec["bursts"] - 1), 0), decay)
        for i in range(spec["bursts"]):
            envelope = np.maximum(envelope, (t >= i * spec["spacing_s"]) * _decay(t - i * spec["spacing_s"], 0.012))
        out = band / (np.abs(band).max() + 1e-9) * envelope
    elif drum == "rim":
        out = np.sin(2 * np.pi * spec["tone_hz"] * t) * _decay(t, decay) + 0.3 * noise * _decay(t, 0.004)
    elif drum == "tom":
        base = spec.get("tone_hz") or TOM_HZ.get(pitch, 110.0)
        freq = base * (1 + (spec.get("start_ratio", 1.4) - 1) * np.exp(-t / 0.04))
        out = np.sin(2 * np.pi * np.cumsum(freq) / rate) * _decay(t, decay)
    elif drum == "cowbell":
        hz = spec["tone_hz"]
        ring = sum(dsp.pulse(dsp.phase(f, t.size, rate), f / rate) for f in (hz, hz * 1.48))  # two detuned squares
        out = _filtered(ring, rate, "bandpass", (hz * 0.8, hz * 4)) * _decay(t, decay)
    elif drum == "shaker":
        out = _filtered(noise, rate, "highpass", spec["noise_hz"]) * np.minimum(t / 0.012, 1) * _decay(t, decay)
    else:  # hats and cymbals: metal and noise, high-passed
        metal_share = 0.6 if "hat" in drum else 0.35
        body = metal_share * _metal(t, rate) + (1 - metal_share) * 0.5 * noise
        out = _filtered(body, rate, "highpass", spec["noise_hz"]) * _decay(t, decay)
    if spec.get("bits"):  # the 8-bit kit: quantised to few levels
        levels = 2 ** (spec["bits"] - 1)
        out = np.round(out / (np.abs(out).max() + 1e-9) * levels) / levels
    return LEVEL.get(drum, HAT_LEVEL) * out / (np.abs(out).max() + 1e-9)


def _pitch_at_least(pitch_class: int, low_hz: float) -> float:
    """The lowest frequency of `pitch_class` at or above `low_hz`."""
    hz = 440.0 * 2 ** ((pitch_class - 9) / 12) / 16  # the pitch class in octave 0
    while hz < low_hz:
        hz *= 2
    return hz


def tuned(drum: str, spec: dict, pitch: int, tonic_pc: int | None) -> dict:
    """The kit's drum spec with its pitch moved to the key: the kick to the tonic, the snare's
    tone to the fifth, the toms to the tonic, fourth, fifth and their octaves."""
    if tonic_pc is None:
        return spec
    if drum == "kick":
        end = _pitch_at_least(tonic_pc, KICK_LOWEST_HZ)
        return {**spec, "end_hz": end, "start_hz": spec["start_hz"] * end / spec["end_hz"]}
    if drum == "snare":
        return {**spec, "tone_hz": _pitch_at_least((tonic_pc + 7) % 12, SNARE_LOWEST_HZ)}
    if drum == "tom":
        return {**spec, "tone_hz": _pitch_at_least(tonic_pc, TOM_LOWEST_HZ) * 2 ** (TOM_STEPS.get(pitch, 0) / 12)}
    return spec


@cache
def _hit_cached(kit_name: str, drum: str, pitch: int, rate: int, spec_items: tuple) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(f"{kit_name}:{drum}:{pitch}".encode()))
    return _hit(drum, dict(spec_items), pitch, rate, rng).astype(np.float32)


def render_drum_part(
    part: Part, kit_name: str, kit: dict, score: ScoreTokens, rate: int
) -> tuple[np.ndarray, list[NoteEvent]]:
    """(the kit's hits `[2, round(end_s * rate)]`, the notes it has no drum for), the pitched
    drums tuned to the score's key."""
    total = int(round(score.end_s * rate))
    out = np.zeros(total, dtype=np.float64)
    left: list[NoteEvent] = []
    onsets: dict[str, list[int]] = {}
    hits = []
    for note in part.notes:
        drum = DRUM_OF_PITCH.get(note.pitch)
        if drum is None or drum not in kit:
            left.append(note)
            continue
        start = int(round(score.beat_to_s(note.start_beat) * rate))
        if 0 <= start < total:
            hits.append((start, drum, note))
            onsets.setdefault(drum, []).append(start)
    for start, drum, note in hits:
        spec = tuned(drum, kit[drum], note.pitch, score.tonic_pc)
        sound = _hit_cached(kit_name, drum, note.pitch, rate, tuple(sorted(spec.items())))
        end = min(total, start + sound.size)
        for choker in CHOKES.get(drum, ()):  # cut at the next closed hat, with a 4 ms fade
            later = [s for s in onsets.get(choker, []) if start < s < end]
            if later:
                end = min(later)
        piece = sound[: end - start].astype(np.float64)
        if end < start + sound.size:
            fade = min(piece.size, int(0.004 * rate))
            piece[piece.size - fade :] *= np.linspace(1, 0, fade)
        out[start:end] += velocity_gain(note.velocity) * piece
    return np.stack([out, out]).astype(np.float32), left
