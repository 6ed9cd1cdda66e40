"""Put the music under the video: an MP4 that plays in browsers (H.264 + AAC), as long as the input.

The video stream is copied when it is already H.264 in a browser-safe pixel format, else
re-encoded with libx264 (yuv420p). The original sound can be dropped ("music"), kept quietly
under the music ("mix"), or kept in front with the music ducked under it whenever it is loud,
as for speech ("duck"). ffmpeg is always called with an argument list, never through a shell,
and the file is written (and tagged with how its music was made, post/provenance.py) beside its
target and renamed into place.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from ..errors import GenerationFailed, InvalidRequest
from ..ffmpeg import ffmpeg_exe
from .export import atomic_write
from .provenance import provenance_fields, tag_file

AUDIO_MODES = ("auto", "music", "mix", "duck")
ORIGINAL_UNDER_MUSIC = 0.3  # "mix": the original sound's gain under the music
AAC_BITRATE = "192k"


def audio_filter(mode: str) -> list[str]:
    """ffmpeg arguments that make the output's sound [a] from the video [0] and the music [1]."""
    if mode == "music":
        return ["-map", "1:a:0"]
    if mode == "mix":
        graph = f"[0:a:0]volume={ORIGINAL_UNDER_MUSIC}[orig];[1:a:0][orig]amix=inputs=2:duration=first:normalize=0[a]"
    elif mode == "duck":  # the original sound (speech) drives a compressor on the music
        graph = (
            "[0:a:0]asplit=2[voice][key];"
            "[1:a:0][key]sidechaincompress=threshold=0.02:ratio=8:attack=15:release=350:makeup=1[ducked];"
            "[ducked][voice]amix=inputs=2:duration=first:normalize=0[a]"
        )
    else:
        raise InvalidRequest(f"The video sound must be one of {', '.join(AUDIO_MODES)}, not {mode!r}.")
    return ["-filter_complex", graph, "-map", "[a]"]


def mux(video, music_wav: str | Path, target: str | Path, mode: str = "music", tags: dict | None = None) -> Path:
    """video: a `VideoInfo`; music_wav: the finished music, exactly the video's length.
    Writes `target` (.mp4) with the video's pictures and the new sound; `tags`: provenance fields
    (the input's own metadata is dropped)."""
    if mode in ("mix", "duck") and video.audio_codec is None:
        mode = "music"  # nothing to keep
    copy = video.video_codec == "h264" and video.pix_fmt in ("yuv420p", "yuvj420p")
    picture = (
        ["-c:v", "copy"] if copy else ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
    )
    target = Path(target)

    def write(tmp: str) -> None:
        args = [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(video.path),
            "-i",
            str(music_wav),
            "-map",
            "0:v:0",
            *audio_filter(mode),
            *picture,
            "-c:a",
            "aac",
            "-b:a",
            AAC_BITRATE,
            "-t",
            f"{video.duration_s:.6f}",
            "-map_metadata",
            "-1",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            tmp,
        ]
        result = subprocess.run(args, capture_output=True, timeout=1800)
        if result.returncode != 0:
            raise GenerationFailed(
                "Putting the music under the video failed: "
                + result.stderr.decode("utf-8", "replace").strip().splitlines()[-1][:300]
            )
        if tags:
            tag_file(tmp, tags)

    return atomic_write(target, write)


def mux_track(track, target: str | Path) -> Path:
    """A finished Track made for a video -> the video with the track as its sound."""
    from .export import write_audio

    if track.video is None:
        raise InvalidRequest("An .mp4 needs a video to put the music under; give one with --video.")
    with tempfile.TemporaryDirectory(prefix="mmgen-mux-") as folder:
        music = write_audio(track.audio, Path(folder) / "music.wav")
        return mux(track.video, music, target, track.video_audio, provenance_fields(track))
