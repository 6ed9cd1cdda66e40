"""Editing a finished track with a diffusion engine: redo a part, make it longer, split it into stems.

Every edit keeps what it was not asked to change: the new audio is spliced into the track's own
samples, level-matched to what it replaces, with short crossfades *inside* the edited range, so
every sample outside it is the track's own, bit for bit. The track can be one mmgen made (a
`Track`) or a file the user brings (`track_from_file`).

    track = generate(GenerationRequest(prompt="lofi beat", duration_s=30, decoder="ace-step"))
    better = redo_part(track, 10.0, 16.0)       # a new 10-16 s, the rest untouched
    longer = make_longer(better, 45.0)          # the same 0-28 s, then new music to 45 s
    stems = split_stems(longer)                 # {"vocals", "drums", "bass", "other"} -> Waveform
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import registry
from .codecs.base import OUTPUT_RATE_HZ, Waveform
from .errors import InvalidRequest
from .request import DURATION_RANGE_S, MAX_SEED

FADE_S = 0.05  # each crossfade, inside the edited range
TAIL_S = 2.0  # make_longer: the old ending this much before the end is made anew
EXTRACTED = ("vocals", "drums", "bass")  # what ACE-Step's extract splits off; the rest is "other"
CEILING = 10 ** (-1.0 / 20)  # the mastered track's peak ceiling (-1 dBFS)


def _engine(name: str, extracting: bool = False):
    names = [e.name for e in registry.entries("decoder") if e.tokens == "latent"]
    if name not in names:
        raise InvalidRequest(f"'{name}' cannot edit audio; choose one of: {', '.join(names)}.")
    if extracting and not registry.entry("decoder", name).load_class().can_extract:
        able = [n for n in names if registry.entry("decoder", n).load_class().can_extract]
        raise InvalidRequest(f"'{name}' cannot split a track into stems; choose one of: {', '.join(able)}.")
    return registry.get("decoder", name)


def _seed(seed) -> int:
    if seed in (None, ""):
        return random.SystemRandom().randint(0, MAX_SEED)
    try:
        number = int(str(seed).strip())
    except ValueError:
        number = -1
    if not 0 <= number <= MAX_SEED:
        raise InvalidRequest(f"The seed must be a whole number between 0 and {MAX_SEED}.")
    return number


def splice(
    original: np.ndarray, new: np.ndarray, start: int, end: int, fade: int, level: np.ndarray | None = None
) -> np.ndarray:
    """`original` `[C, N]` with samples start..end taken from `new` (same layout), level-matched
    to `level` (default: what they replace) and held under the ceiling; crossfades of `fade`
    samples lie inside the range, so every sample outside it is the original's."""
    result = original.copy()
    part = new[:, start:end].astype(np.float64)
    before = original[:, start:end].astype(np.float64)
    level = before if level is None else level.astype(np.float64)
    gain = np.sqrt((level**2).mean() / max((part**2).mean(), 1e-12)) if level.size else 1.0
    part *= np.clip(gain, 0.25, 4.0)
    if np.abs(part).max(initial=0.0) > CEILING:
        part *= CEILING / np.abs(part).max()
    fade = min(fade, (end - start) // 2)
    ramp = np.ones(end - start)
    if fade:
        rise = (np.arange(fade) + 0.5) / fade
        ramp[:fade] = rise
        if end < original.shape[-1]:  # fade back into the original only where it goes on
            ramp[-fade:] = rise[::-1]
    result[:, start:end] = (ramp * part + (1 - ramp) * before).astype(original.dtype)
    return result


def _measured(mastering, samples: np.ndarray):
    """The mastering report with the loudness and true peak of `samples` `[C, N]` (44.1 kHz)."""
    from .post.master import integrated_loudness_lufs, true_peak_dbtp

    return replace(
        mastering,
        loudness_lufs=integrated_loudness_lufs(samples, OUTPUT_RATE_HZ),
        true_peak_dbtp=true_peak_dbtp(samples, OUTPUT_RATE_HZ),
    )


def _edited(track, audio: np.ndarray, tokens, what: str, started: float, **notes):
    """The track with its new audio, measured again, and what was done in its report."""
    wave = Waveform(np.ascontiguousarray(audio, dtype=np.float32), OUTPUT_RATE_HZ)
    mastering = _measured(track.mastering, wave.samples)
    edits = [*track.details.get("edits", []), {"edit": what, **notes, **tokens.notes}]
    details = {**track.details, "edits": edits, "licence": tokens.notes["licence"]}
    timings = {**track.timings_s, f"edit_{len(edits)}": round(time.perf_counter() - started, 4)}
    return replace(track, tokens=tokens, audio=wave, mastering=mastering, details=details, timings_s=timings)


def redo_part(
    track, start_s: float, end_s: float, engine: str = "ace-step", seed=None, progress=None, should_stop=None
):
    """The track with `start_s`..`end_s` made anew by `engine` (ACE-Step's repaint, Stable Audio
    3's inpainting); everything outside that range is kept bit for bit."""
    duration = track.audio.duration_s
    start_s, end_s = float(start_s), float(end_s)
    if not 0 <= start_s < end_s <= duration:
        raise InvalidRequest(f"Pick a part inside the track: a start before its end, from 0 to {duration:.1f} s.")
    if end_s - start_s < 1.0:
        raise InvalidRequest("The part to redo must last at least 1 second.")
    started, seed = time.perf_counter(), _seed(seed)
    decoder = _engine(engine)
    tokens = decoder.redo(track.plan, track.audio, seed, start_s, end_s, progress, should_stop)
    new = registry.get("codec", decoder.default_codec).decode(tokens).samples
    start, end = round(start_s * OUTPUT_RATE_HZ), round(end_s * OUTPUT_RATE_HZ)
    audio = splice(track.audio.samples, new, start, end, round(FADE_S * OUTPUT_RATE_HZ))
    return _edited(track, audio, tokens, "redo", started, engine=engine, seed=seed, start_s=start_s, end_s=end_s)


def make_longer(track, duration_s: float, engine: str = "ace-step", seed=None, progress=None, should_stop=None):
    """The track continued to exactly `duration_s`: kept bit for bit up to TAIL_S before its old
    end, then new music (made to follow it) to a new ending."""
    old = track.audio.duration_s
    duration_s = float(duration_s)
    if not old + 1.0 <= duration_s <= DURATION_RANGE_S[1]:
        raise InvalidRequest(
            f"The new length must be at least 1 s longer than the track ({old:.1f} s) and at most "
            f"{DURATION_RANGE_S[1]:g} s."
        )
    started, seed = time.perf_counter(), _seed(seed)
    decoder = _engine(engine)
    keep_until = max(old / 2, old - TAIL_S)
    plan = _plan_for(track, duration_s)
    tokens = decoder.lengthen(plan, track.audio, seed, duration_s, keep_until, progress, should_stop)
    window = registry.get("codec", decoder.default_codec).decode(tokens).samples  # from notes["starts_at_s"]
    offset = round(tokens.notes["starts_at_s"] * OUTPUT_RATE_HZ)
    length = round(duration_s * OUTPUT_RATE_HZ)
    new = np.zeros((2, length), np.float32)
    new[:, offset : offset + window.shape[1]] = window[:, : length - offset]
    original = np.zeros_like(new)
    original[:, : track.audio.samples.shape[1]] = track.audio.samples
    keep = round(keep_until * OUTPUT_RATE_HZ)
    level = original[:, max(0, keep - 10 * OUTPUT_RATE_HZ) : keep]  # the new music as loud as the last 10 s kept
    audio = splice(original, new, keep, length, round(FADE_S * OUTPUT_RATE_HZ), level)
    longer = _edited(track, audio, tokens, "longer", started, engine=engine, seed=seed, kept_until_s=keep_until)
    return replace(longer, plan=plan)


def _plan_for(track, duration_s: float):
    """The plan of the same request at the new length (what the model is told to continue)."""
    from .pipeline import make_plan

    return make_plan(replace(track.request, duration_s=duration_s, video_path=None, cuts_s=[]))


def split_stems(track, engine: str = "ace-step", seed=None, progress=None, should_stop=None) -> dict[str, Waveform]:
    """The track as stems: vocals, drums and bass as ACE-Step's extract hears them, and the rest
    ("other": the track minus those three), each exactly as long as the track."""
    decoder = _engine(engine, extracting=True)
    seed = _seed(seed)
    codec = registry.get("codec", decoder.default_codec)
    stems, length = {}, track.audio.samples.shape[1]
    for i, name in enumerate(EXTRACTED):

        def part(fraction, stage, i=i):
            if progress:
                progress((i + fraction) / len(EXTRACTED), f"Splitting off the {EXTRACTED[i]}")

        tokens = decoder.split(track.plan, track.audio, seed, name, part, should_stop)
        stems[name] = codec.decode(tokens).samples[:, :length]
    stems["other"] = track.audio.samples - sum(stems.values())
    return {name: Waveform(np.ascontiguousarray(s, dtype=np.float32), OUTPUT_RATE_HZ) for name, s in stems.items()}


def save_stems(stems: dict[str, Waveform], folder: str | Path) -> list[Path]:
    """Each stem as NAME.wav (32-bit float: a part alone may peak past full scale) in `folder`."""
    from .post.export import write_audio

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InvalidRequest(f"{folder} is a file, not a folder for the stems.")
    folder.mkdir(parents=True, exist_ok=True)
    return [write_audio(wave, folder / f"{name}.wav", unclipped=True) for name, wave in stems.items()]


def track_from_file(path: str | Path, prompt: str = ""):
    """A track the user brings, ready to edit: its audio (44.1 kHz stereo), and the plan a
    request of its length, its measured tempo and key, and `prompt` gets (what the engine is told
    the music is)."""
    from .codecs.base import finished_waveform
    from .encoders.audio import read_audio
    from .eval import metrics
    from .pipeline import Track, make_plan
    from .post.master import MasteringReport
    from .request import TEMPO_RANGE_BPM, GenerationRequest

    data, rate, name = read_audio(path, max_s=DURATION_RANGE_S[1], min_s=DURATION_RANGE_S[0])  # [N, C]
    samples = finished_waveform(data[:, :2].T, rate, len(data) / rate).samples  # 44.1 kHz stereo [2, N]
    duration = samples.shape[1] / OUTPUT_RATE_HZ
    tempo = metrics.tempo_bpm(samples, OUTPUT_RATE_HZ)  # what the engine is told: the track's own tempo and key
    key, _ = metrics.estimate_key(samples, OUTPUT_RATE_HZ)
    request = GenerationRequest(
        prompt=prompt,
        duration_s=max(DURATION_RANGE_S[0], round(duration, 3)),
        tempo_bpm=round(tempo, 1) if TEMPO_RANGE_BPM[0] <= tempo <= TEMPO_RANGE_BPM[1] else None,
        key=key.name,
        seed=0,
    )
    return Track(
        request=request,
        plan=make_plan(request),
        tokens=None,
        audio=Waveform(samples, OUTPUT_RATE_HZ),
        mastering=_measured(MasteringReport(0.0, 0.0, 0.0, False, False), samples),
        decoder="upload",
        codec="",
        details={"source_file": name},
    )
