"""Loop and cue points in the files game engines and samplers read them from.

- WAV: a `smpl` chunk (one forward loop, start and end sample, the end inclusive as the format
  counts it) and a `cue ` chunk with a `LIST`/`adtl` of `labl` names (Wwise and FMOD import these
  as markers; samplers and most players read `smpl`). The chunks are appended after soundfile's
  `data` chunk and the RIFF size is patched.
- Ogg Vorbis: the `LOOPSTART` / `LOOPLENGTH` comments (in samples) that RPG Maker, Godot's
  importers and many engines' loop players read, written with mutagen.
"""

from __future__ import annotations

import struct
from pathlib import Path


def _chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def smpl_chunk(rate_hz: int, loop_start: int, loop_end: int) -> bytes:
    """One forward loop over samples [loop_start, loop_end) repeated forever."""
    header = struct.pack("<9I", 0, 0, round(1e9 / rate_hz), 60, 0, 0, 0, 1, 0)
    loop = struct.pack("<6I", 0, 0, loop_start, loop_end - 1, 0, 0)
    return _chunk(b"smpl", header + loop)


def cue_chunks(cues: list[tuple[int, str]]) -> bytes:
    """`cue ` and `LIST`/`adtl` chunks for (sample, label) markers."""
    points = b"".join(struct.pack("<II4sIII", i + 1, pos, b"data", 0, 0, pos) for i, (pos, _) in enumerate(cues))
    labels = b"".join(
        _chunk(b"labl", struct.pack("<I", i + 1) + label.encode("utf-8") + b"\0") for i, (_, label) in enumerate(cues)
    )
    return _chunk(b"cue ", struct.pack("<I", len(cues)) + points) + _chunk(b"LIST", b"adtl" + labels)


def append_wav_chunks(path: str | Path, chunks: bytes) -> None:
    """Append chunks to a RIFF WAVE file and patch its RIFF size."""
    with open(path, "r+b") as f:
        if f.read(4) != b"RIFF":
            raise ValueError(f"{path} is not a RIFF WAVE file")
        f.seek(0, 2)
        if f.tell() % 2:
            f.write(b"\0")
        f.write(chunks)
        size = f.tell() - 8
        f.seek(4)
        f.write(struct.pack("<I", size))


def tag_ogg_loop(path: str | Path, loop_start: int, loop_end: int) -> None:
    from mutagen.oggvorbis import OggVorbis

    tags = OggVorbis(path)
    tags["LOOPSTART"] = str(loop_start)
    tags["LOOPLENGTH"] = str(loop_end - loop_start)
    tags.save()
