"""The ffmpeg binary: the static one inside the `imageio-ffmpeg` wheel, so no system install is
needed. Always called with an argument list, never through a shell."""

from __future__ import annotations

import shutil


def ffmpeg_exe() -> str:
    """The wheel's ffmpeg (one known build everywhere, whatever the system has)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def system_ffmpeg() -> bool:
    """Whether ffmpeg and ffprobe are installed on PATH (Gradio's streaming audio needs both)."""
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
