"""The mix of a style (a mix of assets/production/mixes.toml): per-part inserts (EQ as one
cascade of biquads, pedalboard's compressor, tanh saturation, pedalboard's chorus and
bit-crusher), the balance of the parts, pan, the reverb and delay sends and their return buses,
sidechain ducking under the kick, the bus compressor and the stereo image.

Everything after the inserts is linear in the stems or a gain curve shared by all of them (the
sidechain's per ducked stem, the bus compressor's for all). So each part's stem carries its own
share of the reverb and delay returns (the bus's response to that part's send: muting a stem
mutes its echoes too), and the stems always sum to the mix exactly."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from scipy.ndimage import uniform_filter1d

from . import dsp

REFERENCE_RMS = 0.1  # -20 dBFS: each part's level going into its inserts, and at level_db 0 after them
SOUNDING_DB = -30.0  # frames this far under the part's loudest count as silent for its level
REVERB_RATE_DIVISOR = 2  # the reverb bus runs at half rate: its tail is dark, and that is 2.5x faster


@dataclass
class MixResult:
    """stems: role -> float32 `[2, N]`, each part with its share of the reverb and delay
    returns; they sum to `mix`. effects: what was applied, per stem and on the bus, in words."""

    mix: np.ndarray
    stems: dict[str, np.ndarray]
    effects: dict[str, list[str]] = field(default_factory=dict)
    ducking: dict[str, np.ndarray] = field(default_factory=dict)  # role -> gain curve `[N]` applied


def inserts(audio: np.ndarray, settings: dict, rate: int) -> tuple[np.ndarray, list[str]]:
    """One part's insert chain: EQ, compressor, saturation, chorus, bit-crusher. Returns the
    processed `[2, N]` and the effects in words."""
    import pedalboard as p

    words = []
    if settings.get("eq"):
        audio = dsp.equalise(audio, settings["eq"], rate)
        words.append("EQ (" + ", ".join(f"{s[0]} {s[1]:g} Hz" for s in settings["eq"]) + ")")
    plugins = []
    if "compress" in settings:
        threshold, ratio, attack, release = settings["compress"]
        plugins.append(p.Compressor(threshold_db=threshold, ratio=ratio, attack_ms=attack, release_ms=release))
        words.append(f"compressor {ratio:g}:1")
    if plugins:
        audio = p.Pedalboard(plugins)(audio, rate)
    if settings.get("drive_db"):
        gain = 10 ** (settings["drive_db"] / 20) / (4 * REFERENCE_RMS)  # tanh bends the peaks first
        audio = np.tanh(audio * gain) / gain
        words.append(f"saturation {settings['drive_db']:g} dB")
    plugins = []
    if settings.get("chorus"):
        plugins.append(p.Chorus(rate_hz=0.7, depth=0.3, centre_delay_ms=8.0, feedback=0.0, mix=settings["chorus"]))
        words.append("chorus")
    if settings.get("crush"):
        plugins.append(p.Bitcrush(bit_depth=settings["crush"]))
        words.append(f"{settings['crush']}-bit crush")
    if plugins:
        audio = p.Pedalboard(plugins)(np.ascontiguousarray(audio, dtype=np.float32), rate)
    return np.asarray(audio, dtype=np.float32), words


def _at_level(audio: np.ndarray, rate: int, level_db: float = 0.0) -> np.ndarray:
    rms = _sounding_rms(audio, rate)
    return audio * (REFERENCE_RMS * 10 ** (level_db / 20) / rms) if rms > 0 else audio


def _sounding_rms(audio: np.ndarray, rate: int) -> float:
    """RMS over the frames (50 ms) within SOUNDING_DB of the loudest: a part's level while it plays."""
    window = max(1, int(0.05 * rate))
    usable = audio.shape[-1] // window * window
    if usable == 0:
        return 0.0
    frames = np.sqrt((audio[:, :usable].reshape(audio.shape[0], -1, window) ** 2).mean(axis=(0, 2)))
    sounding = frames[frames > frames.max() * 10 ** (SOUNDING_DB / 20)]
    return float(np.sqrt(np.mean(sounding**2))) if sounding.size else 0.0


def _pan(audio: np.ndarray, pan: float) -> np.ndarray:
    """Balance -1..1 (constant power, unity in the centre)."""
    if not pan:
        return audio
    angle = (pan + 1.0) * math.pi / 4.0
    gains = np.array([math.cos(angle), math.sin(angle)]) / math.cos(math.pi / 4.0)
    return audio * gains[:, None].astype(np.float32)


@cache
def impulse_response(decay_s: float, predelay_ms: float, tone_hz: float, rate: int) -> np.ndarray:
    """A generated stereo room `[2, n]`: decorrelated noise decaying 60 dB in `decay_s`, its
    highs fading faster (darker as it decays), a few early reflections, unit energy."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(7)
    n = int((decay_s * 1.1 + predelay_ms / 1000) * rate)
    t = np.arange(n) / rate
    noise = rng.standard_normal((2, n))
    bright = noise * np.exp(-t * dsp.DB60 / (0.45 * decay_s))
    dark = sosfilt(butter(1, tone_hz, fs=rate, output="sos"), noise, axis=-1) * np.exp(-t * dsp.DB60 / decay_s)
    tail = 0.5 * bright + dark
    tail *= np.minimum(t / 0.015, 1.0)  # the diffuse tail builds up over 15 ms
    for i, delay_ms in enumerate((7.0, 11.0, 17.0, 23.0, 31.0, 41.0)):  # early reflections
        k = int(delay_ms / 1000 * rate)
        if k < n:
            tail[i % 2, k] += 0.9 * 0.8**i * np.abs(tail).max()
    predelay = int(predelay_ms / 1000 * rate)
    ir = np.concatenate([np.zeros((2, predelay)), tail], axis=1)
    return (ir / np.sqrt((ir**2).sum(axis=1, keepdims=True))).astype(np.float32)


def _reverb_returns(sends: dict[str, np.ndarray], spec: dict, rate: int) -> dict[str, np.ndarray]:
    """The reverb bus's response to each part's send `[2, N]`: the send convolved with the
    generated room (scipy's FFT convolution at half rate, all parts in one call, resampled back:
    measured faster than pedalboard's Convolution here)."""
    import soxr
    from scipy.signal import fftconvolve

    low = rate // REVERB_RATE_DIVISOR
    ir = impulse_response(float(spec["decay_s"]), float(spec["predelay_ms"]), float(spec["tone_hz"]), low)
    roles = list(sends)
    down = [soxr.resample(dsp.equalise(sends[r], [["highpass", 200]], rate).T, rate, low).T for r in roles]
    wet = fftconvolve(np.stack(down), ir[None], axes=-1)  # [R, 2, n + m - 1]
    returns = {}
    for role, part in zip(roles, wet):
        back = soxr.resample(np.ascontiguousarray(part.T), low, rate).T
        out = np.zeros_like(sends[role])
        size = min(out.shape[-1], back.shape[-1])
        out[:, :size] = back[:, :size]
        returns[role] = out
    return returns


def _delay_return(send: np.ndarray, spec: dict, beat_s: float, rate: int) -> np.ndarray:
    import pedalboard as p

    chain = p.Pedalboard(
        [
            p.HighpassFilter(cutoff_frequency_hz=250),
            p.Delay(delay_seconds=spec["beats"] * beat_s, feedback=spec["feedback"], mix=1.0),
            p.LowpassFilter(cutoff_frequency_hz=spec["tone_hz"]),
        ]
    )
    return chain(send, rate)


def ducking_gain(kicks_s: list[float], total: int, rate: int, depth_db: float, release_s: float) -> np.ndarray:
    """The sidechain's gain `[total]`: down `depth_db` 3 ms after each kick, back up along a
    half cosine over `release_s` (the pump)."""
    gain = np.ones(total, dtype=np.float32)
    depth = 1.0 - 10 ** (-depth_db / 20)
    attack = max(1, int(0.003 * rate))
    release = max(2, int(release_s * rate))
    shape = np.concatenate(
        [np.linspace(0.0, 1.0, attack, endpoint=False), 0.5 * (1 + np.cos(np.linspace(0, np.pi, release)))]
    )
    duck = (1.0 - depth * shape).astype(np.float32)
    for kick in kicks_s:
        start = int(round(kick * rate))
        if 0 <= start < total:
            end = min(total, start + duck.size)
            np.minimum(gain[start:end], duck[: end - start], out=gain[start:end])
    return gain


def bus_gain(mix: np.ndarray, rate: int, spec: dict) -> np.ndarray:
    """The glue compressor's gain `[N]`: the mix's power in 1 ms steps, over 10 ms, above
    threshold_db reduced by the ratio, with its attack and release; applied to every stem alike."""
    step = max(1, rate // 1000)
    usable = mix.shape[-1] // step * step
    power = (mix[:, :usable].astype(np.float32) ** 2).reshape(mix.shape[0], -1, step).mean(axis=(0, 2))
    level_db = 10 * np.log10(uniform_filter1d(power, size=10) + 1e-12)
    reduction = np.maximum(0.0, level_db - spec["threshold_db"]) * (1 - 1 / spec["ratio"])
    attack = math.exp(-1 / max(1e-3, spec["attack_ms"]))  # per millisecond
    release = math.exp(-1 / max(1e-3, spec["release_ms"]))
    gain = 10 ** (-dsp.follow(reduction.astype(np.float64), attack, release) / 20)
    per_sample = np.repeat(gain, step)
    return np.pad(per_sample, (0, mix.shape[-1] - per_sample.size), mode="edge").astype(np.float32)


def bus_and_width(audio: np.ndarray, gain: np.ndarray, width: float) -> np.ndarray:
    """The bus gain and the stereo width (mid/side) applied together: L' = g (a L + b R),
    R' = g (b L + a R), a = (1 + w) / 2, b = (1 - w) / 2."""
    a, b = (1 + width) / 2, (1 - width) / 2
    return np.stack([gain * (a * audio[0] + b * audio[1]), gain * (b * audio[0] + a * audio[1])])


def mix_stems(dry: dict[str, np.ndarray], production, rate: int, beat_s: float, kicks_s: list[float]) -> MixResult:
    """dry: role -> `[2, N]` rendered parts; production: studio.production.Production."""
    mix_spec = production.mix
    stems: dict[str, np.ndarray] = {}
    effects: dict[str, list[str]] = {}
    total = next(iter(dry.values())).shape[-1]
    sends: dict[str, dict[str, np.ndarray]] = {"reverb": {}, "delay": {}}  # bus -> role -> its send
    for role, audio in dry.items():
        settings = production.part_mix(role)
        processed, words = inserts(_at_level(audio, rate), settings, rate)
        processed = _pan(_at_level(processed, rate, settings.get("level_db", 0.0)), settings.get("pan", 0.0))
        for bus in sends:
            if settings.get(bus) and processed.any():
                sends[bus][role] = settings[bus] * processed
                words.append(f"{bus} send {settings[bus]:g}")
        stems[role], effects[role] = processed.astype(np.float32), words
    returns: dict[str, list[np.ndarray]] = {role: [] for role in stems}  # each part's echoes, not ducked
    if sends["reverb"]:
        for role, wet in _reverb_returns(sends["reverb"], mix_spec["reverb"], rate).items():
            returns[role].append(wet)
        effects["reverb"] = [f"convolution reverb {mix_spec['reverb']['decay_s']:g} s (generated room)"]
    if sends["delay"]:
        for role, send in sends["delay"].items():
            returns[role].append(_delay_return(send, mix_spec["delay"], beat_s, rate))
        effects["delay"] = [f"delay {mix_spec['delay']['beats']:g} beats, feedback {mix_spec['delay']['feedback']:g}"]

    ducking: dict[str, np.ndarray] = {}
    side = mix_spec.get("sidechain")
    if side and kicks_s:
        gain = ducking_gain(kicks_s, total, rate, side["depth_db"], side["release_beats"] * beat_s)
        for role in side["parts"]:
            if role in stems:
                stems[role] = stems[role] * gain[None, :]
                ducking[role] = gain
                effects[role].append(f"sidechain to the kick, {side['depth_db']:g} dB")
    for role, echoes in returns.items():
        for wet in echoes:
            stems[role] = stems[role] + wet

    bus = bus_gain(sum(stems.values()), rate, mix_spec["bus"])
    width = mix_spec.get("width", 1.0)
    for role in stems:
        stems[role] = bus_and_width(stems[role], bus, width).astype(np.float32)
    effects["bus"] = [f"glue compressor {mix_spec['bus']['ratio']:g}:1", f"stereo width {width:g}"]
    return MixResult(sum(stems.values()).astype(np.float32), stems, effects, ducking)
