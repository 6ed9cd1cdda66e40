"""Media the tests make themselves with the ffmpeg of imageio-ffmpeg: videos with scene cuts at
known times, images of known character; and a RIFF reader of their own for the files mmgen writes."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from mmgen.ffmpeg import ffmpeg_exe

# Scene sources: moving test patterns and plain colours, so cuts and motion are unmistakable.
SCENES = [
    ("testsrc2", ""),
    ("color=c=0x203080", ""),
    ("rgbtestsrc", ""),
    ("color=c=0xe07020", ",noise=alls=30:allf=t"),
    ("smptebars", ""),
    ("color=c=0x10a040", ""),
]


def make_video(
    path: Path,
    scene_lengths_s: list[float],
    fps: float = 25,
    audio: str | None = "tone",
    codec: str = "libx264",
    extra: list[str] | None = None,
) -> Path:
    """A video whose scenes change at the cumulative sums of `scene_lengths_s`.
    audio: "tone" (a sine), "speech" (syllable-like bursts of a voiced buzz) or None."""
    args, inputs = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"], []
    for i, length in enumerate(scene_lengths_s):
        source, effect = SCENES[i % len(SCENES)]
        sep = ":" if "=" in source else "="
        args += ["-f", "lavfi", "-i", f"{source}{sep}size=320x180:rate={fps}:duration={length}{effect}"]
        inputs.append(f"[{i}:v]")
    total = sum(scene_lengths_s)
    filters = "".join(inputs) + f"concat=n={len(inputs)}:v=1:a=0,format=yuv420p[v]"
    if audio == "tone":
        args += ["-f", "lavfi", "-i", f"sine=frequency=330:duration={total}"]
    elif audio == "speech":  # a 140 Hz buzz through a vowel-ish band, switched on and off 4 times a second
        args += [
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc='0.5*sin(2*PI*140*t)*sin(2*PI*280*t)*gt(sin(2*PI*4*t),0)':s=16000:d={total},"
            "highpass=f=300,lowpass=f=3000",
        ]
    args += ["-filter_complex", filters, "-map", "[v]"] + (["-map", f"{len(inputs)}:a"] if audio else [])
    args += ["-c:v", codec, *(extra or [])]
    if audio:
        args += ["-c:a", "aac"]
    subprocess.run([*args, str(path)], check=True, capture_output=True, timeout=120)
    return path


def make_image(
    path: Path, rgb: tuple[int, int, int], size=(320, 200), pattern: bool = False, mode: str = "RGB", **save
) -> Path:
    """A plain (or checkered, busy) picture of one colour, saved in `mode`."""
    import numpy as np
    from PIL import Image

    pixels = np.empty((size[1], size[0], 3), np.uint8)
    pixels[...] = rgb
    if pattern:
        yy, xx = np.mgrid[: size[1], : size[0]]
        pixels[((xx // 6 + yy // 6) % 2) == 0] = [min(255, c + 90) for c in rgb]
    image = Image.fromarray(pixels)
    if mode != "RGB":
        image = image.convert(mode)
    image.save(path, **save)
    return path


def riff_chunks(path) -> dict[bytes, bytes]:
    """The chunks of a RIFF WAVE file, parsed here (not by mmgen's writer)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    chunks, at = {}, 12
    while at + 8 <= len(data):
        tag, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        chunks[tag] = data[at + 8 : at + 8 + size]
        at += 8 + size + size % 2
    return chunks


def wav_cues(path) -> list[tuple[int, str]]:
    """(sample, label) of a WAV's `cue ` chunk, each named by its `labl` in the LIST/adtl chunk."""
    chunks = riff_chunks(path)
    cue, adtl = chunks[b"cue "], chunks[b"LIST"]
    assert adtl[:4] == b"adtl"
    positions = {}
    for i in range(struct.unpack("<I", cue[:4])[0]):
        ident, _position, data, _chunk, _block, offset = struct.unpack("<II4sIII", cue[4 + 24 * i : 28 + 24 * i])
        assert data == b"data"
        positions[ident] = offset
    labels, at = {}, 4
    while at + 8 <= len(adtl):
        tag, size = adtl[at : at + 4], struct.unpack("<I", adtl[at + 4 : at + 8])[0]
        if tag == b"labl":
            body = adtl[at + 8 : at + 8 + size]
            labels[struct.unpack("<I", body[:4])[0]] = body[4:].split(b"\0")[0].decode("utf-8")
        at += 8 + size + size % 2
    return [(positions[i], labels[i]) for i in sorted(positions)]
