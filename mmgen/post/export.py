"""Export: audio files (WAV, MP3, FLAC, Ogg Vorbis; loop and cue points where they fit), the score
as MIDI, EnCodec tokens as .ecdc, the report. Given `tags` (post/provenance.py), audio and MIDI
files say how they were made: AI-generated, mmgen's version, the engine, the seed, the licence.

Every file is written (and tagged) under a temporary name beside its target and renamed into
place, so a failure never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from ..codecs.base import Waveform
from ..errors import InvalidRequest
from ..tokens import ScoreTokens

AUDIO_FORMATS = {
    ".wav": ("WAV", "PCM_24"),
    ".flac": ("FLAC", "PCM_24"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".ogg": ("OGG", "VORBIS"),  # what game engines stream; a loop's points go in its comments
}
SCORE_FORMATS = (".mid", ".midi")
TOKEN_FORMATS = (".ecdc",)
VIDEO_FORMATS = (".mp4",)  # the video the track was made for, with the track as its sound
OUTPUT_SUFFIXES = tuple(AUDIO_FORMATS) + SCORE_FORMATS + TOKEN_FORMATS + VIDEO_FORMATS


def check_output_path(path: str | os.PathLike, allowed: tuple[str, ...] = OUTPUT_SUFFIXES) -> Path:
    """Refuse an output path we cannot or should not write, before any work is done."""
    target = Path(path).expanduser()
    if target.suffix.lower() not in allowed:
        raise InvalidRequest(f"I can't write '{target.name}': the file name must end in {', '.join(allowed)}.")
    if target.is_dir():
        raise InvalidRequest(f"'{target}' is a folder; give a file name such as {target / 'track.wav'}.")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidRequest(f"The folder '{folder}' does not exist.")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InvalidRequest(f"I'm not allowed to write to '{target}'.")
    return target


def _file_mode() -> int:
    """What a new file's permissions would be (mkstemp makes them owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()
PARTIAL_PREFIX = ".mmgen-"  # a file being written, beside its final name


def atomic_write(target: Path, write) -> Path:
    """`write(tmp)` a file beside `target`, then rename it into place: no half-written file is
    ever under the final name (a rename within a folder is atomic)."""
    fd, tmp = tempfile.mkstemp(prefix=PARTIAL_PREFIX, suffix=target.suffix, dir=target.parent or ".")
    os.close(fd)
    try:
        os.chmod(tmp, FILE_MODE)
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_audio(wave: Waveform, path: str | os.PathLike, unclipped: bool = False, tags: dict | None = None) -> Path:
    """`unclipped`: a WAV of 32-bit float samples, kept as they are beyond full scale. Stems need
    it: a part can peak higher alone than in the mix, where the others partly cancel it.
    `tags`: provenance fields to write into the file (post/provenance.py)."""
    target = Path(path)
    fmt, subtype = AUDIO_FORMATS[target.suffix.lower()]
    if unclipped and fmt != "WAV":
        raise ValueError(f"only a .wav holds float samples, not {target.name}")
    data = wave.samples.T if unclipped else np.clip(wave.samples.T, -1.0, 1.0)  # soundfile wants [N, C]
    subtype = "FLOAT" if unclipped else subtype

    def write(tmp: str) -> None:
        sf.write(tmp, data, wave.sample_rate_hz, format=fmt, subtype=subtype)
        _mark(tmp, fmt, wave, tags)

    return atomic_write(target, write)


def _mark(path: str, fmt: str, wave: Waveform, tags: dict | None = None) -> None:
    """The provenance tags, then the wave's loop points and cues where the format holds them (WAV
    chunks, Ogg comments): a WAV's LIST/INFO chunk comes before a cue's LIST/adtl."""
    from . import riff
    from .provenance import tag_file

    if tags:
        tag_file(path, tags)
    loop = wave.loop_points
    if fmt == "WAV" and (loop or wave.cues):
        chunks = riff.smpl_chunk(wave.sample_rate_hz, *loop) if loop else b""
        riff.append_wav_chunks(path, chunks + (riff.cue_chunks(wave.cues) if wave.cues else b""))
    elif fmt == "OGG" and loop:
        riff.tag_ogg_loop(path, *loop)


def write_midi(tokens: ScoreTokens, path: str | os.PathLike, tags: dict | None = None) -> Path:
    from .provenance import tag_file

    def write(tmp: str) -> None:
        tokens.to_midi().write(tmp)
        if tags:
            tag_file(tmp, tags)

    return atomic_write(Path(path), write)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_bytes(data))


def write_ecdc(tokens, path: str | os.PathLike) -> Path:
    from ..codecs.ecdc import ecdc_bytes

    data = ecdc_bytes(tokens)  # refuses tokens the format cannot hold, before anything is written
    return write_bytes(path, data)


def write_report(report: dict, path: str | os.PathLike) -> Path:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, ensure_ascii=False)

    return atomic_write(Path(path), write)


def export(path: str | os.PathLike, wave: Waveform | None, tokens, tags: dict | None = None) -> Path:
    """Write `path` in the format its suffix names (audio, the score as MIDI, tokens as .ecdc).
    `tags`: provenance fields for the audio and MIDI files (.ecdc tokens carry none)."""
    target = Path(path)
    if target.suffix.lower() in TOKEN_FORMATS:
        return write_ecdc(tokens, target)
    if target.suffix.lower() in SCORE_FORMATS:
        if not isinstance(tokens, ScoreTokens):
            raise InvalidRequest("This decoder makes audio directly, so there is no score to save as MIDI.")
        return write_midi(tokens, target, tags)
    return write_audio(wave, target, tags=tags)
