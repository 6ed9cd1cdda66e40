"""Videos -> a musical reading with a timeline: length, main cuts, energy over time, speech.

Decoded with the ffmpeg binary of the `imageio-ffmpeg` wheel (argument lists, never a shell):
1. probe: duration, frame rate, size, rotation, codecs, whether there is sound;
2. frames at ANALYSIS_FPS, small: scene cuts where the colour histogram jumps (the first frame
   of the new scene gives the time), motion (frame difference) and light over time;
3. each scene's middle frame read by the image encoder, the readings weighted by scene length;
4. the soundtrack, if any, checked for speech (voice-band energy and syllable-rate modulation).
"""

from __future__ import annotations

import itertools
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InvalidRequest
from ..ffmpeg import ffmpeg_exe
from .files import check_file
from .image import read_pixels
from .reading import Reading

MIN_VIDEO_S, MAX_VIDEO_S = 5.0, 600.0
MAX_VIDEO_BYTES = 1024 * 1024 * 1024  # 1 GB
ANALYSIS_FPS = 25.0
ANALYSIS_SIZE = (96, 54)  # frames are scaled to this (w, h) for analysis
CUT_THRESHOLD = 0.45  # histogram L1 distance (0..2) between frames that marks a cut
MIN_SCENE_S = 0.5
MAIN_CUT_SPACING_S = 1.5  # main cuts are at least this far apart (the stronger cut wins)
SPEECH_RATE_HZ = 16000


@dataclass
class VideoInfo:
    path: Path
    duration_s: float
    fps: float
    width: int
    height: int
    rotation: int  # degrees, from the display matrix or rotate tag
    video_codec: str
    pix_fmt: str
    audio_codec: str | None  # None when the file has no sound


@dataclass
class VideoAnalysis:
    info: VideoInfo
    cuts_s: list[float]  # every cut found
    main_cuts_s: list[float]
    energy_s: list[tuple[float, float]]  # (time, energy 0..1)
    scenes: list[tuple[float, float]]  # (start, end) seconds
    speech: bool
    speech_ratio: float
    reading: Reading | None = None
    details: dict = field(default_factory=dict)


def _run(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", *args], capture_output=True, timeout=timeout)


def probe_video(path: str | Path) -> VideoInfo:
    """Read a video's header, or raise InvalidRequest saying what is wrong with the file."""
    file = check_file(path, "video", MAX_VIDEO_BYTES)
    header = _run(["-i", str(file)], timeout=60).stderr.decode("utf-8", "replace")
    video = re.search(r"Stream #\S+.*?: Video: (\w+)[^,]*, (\w+)[^,]*(?:\([^)]*\))?,.*?(\d{2,5})x(\d{2,5})", header)
    if "Invalid data found" in header or "moov atom not found" in header:
        raise InvalidRequest(f"'{file.name}' is not a video I can read (it may be damaged or cut short).")
    if video is None:
        kind = "a sound file, not a video" if " Audio: " in header else "not a video I can read"
        raise InvalidRequest(f"'{file.name}' is {kind}. Please upload an MP4, MOV, WebM or MKV video.")
    duration = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", header)
    if duration is None:
        raise InvalidRequest(f"I can't tell how long the video '{file.name}' is; it may be cut short.")
    seconds = int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3])
    if seconds < MIN_VIDEO_S:
        raise InvalidRequest(f"The video is {seconds:.1f} s long; mmgen scores videos of at least {MIN_VIDEO_S:g} s.")
    if seconds > MAX_VIDEO_S:
        raise InvalidRequest(
            f"The video is {seconds / 60:.1f} minutes long; please trim it to {MAX_VIDEO_S / 60:g} minutes or less."
        )
    fps = re.search(r"([\d.]+) fps", header[video.start() :]) or re.search(r"([\d.]+) tbr", header[video.start() :])
    rotation = re.search(r"rotation of (-?[\d.]+) degrees|rotate\s*:\s*(-?\d+)", header)
    audio = re.search(r"Stream #\S+.*?: Audio: (\w+)", header)
    return VideoInfo(
        path=file,
        duration_s=seconds,
        fps=float(fps[1]) if fps else 0.0,
        width=int(video[3]),
        height=int(video[4]),
        rotation=int(float(next(g for g in rotation.groups() if g))) % 360 if rotation else 0,
        video_codec=video[1],
        pix_fmt=video[2],
        audio_codec=audio[1] if audio else None,
    )


def _frames(info: VideoInfo) -> np.ndarray:
    """All frames at ANALYSIS_FPS, scaled down: uint8 `[N, h, w, 3]` (rotation applied)."""
    w, h = ANALYSIS_SIZE
    result = _run(
        [
            "-i",
            str(info.path),
            "-map",
            "0:v:0",
            "-vf",
            f"fps={ANALYSIS_FPS:g},scale={w}:{h}",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ]
    )
    data = np.frombuffer(result.stdout, dtype=np.uint8)
    count = data.size // (w * h * 3)
    if count < 2:
        raise InvalidRequest(
            f"I could not decode the pictures of '{info.path.name}'; the file may be damaged "
            "or use a codec I can't read."
        )
    return data[: count * w * h * 3].reshape(count, h, w, 3)


def find_cuts(frames: np.ndarray) -> tuple[list[int], np.ndarray]:
    """(frame indices where a new scene starts, histogram distance of each frame to the last)."""
    quantized = (frames // 32).astype(np.int32)  # 8 levels per channel
    codes = quantized[..., 0] * 64 + quantized[..., 1] * 8 + quantized[..., 2]
    hist = np.stack([np.bincount(c.ravel(), minlength=512) for c in codes]).astype(np.float32)
    hist /= hist.sum(axis=1, keepdims=True)
    distance = np.concatenate([[0.0], np.abs(np.diff(hist, axis=0)).sum(axis=1)])
    cuts: list[int] = []
    for i in np.argsort(-distance):
        if distance[i] < CUT_THRESHOLD:
            break
        if all(abs(i - c) >= MIN_SCENE_S * ANALYSIS_FPS for c in cuts + [0]):
            cuts.append(int(i))
    return sorted(cuts), distance


def main_cuts(cuts: list[int], distance: np.ndarray) -> list[int]:
    """The strongest cuts at least MAIN_CUT_SPACING_S apart."""
    chosen: list[int] = []
    for i in sorted(cuts, key=lambda c: -distance[c]):
        if all(abs(i - c) >= MAIN_CUT_SPACING_S * ANALYSIS_FPS for c in chosen):
            chosen.append(i)
    return sorted(chosen)


def energy_over_time(frames: np.ndarray, cuts: list[int]) -> list[tuple[float, float]]:
    """(time, energy 0..1) twice a second: motion (most), cut density and light."""
    luma = frames.astype(np.float32).mean(axis=3) / 255.0  # [N, h, w]
    motion = np.concatenate([[0.0], np.abs(np.diff(luma, axis=0)).mean(axis=(1, 2))])
    motion[cuts] = 0.0  # a cut is not motion
    cut_marks = np.zeros(len(frames))
    cut_marks[cuts] = 1.0
    window = int(ANALYSIS_FPS)
    kernel = np.ones(window) / window
    motion_s = np.convolve(motion, kernel, mode="same")
    cuts_per_s = np.convolve(cut_marks, np.ones(4 * window) / 4, mode="same")  # cuts a second, over 4 s
    light = np.convolve(luma.mean(axis=(1, 2)), kernel, mode="same")
    energy = np.clip(0.6 * np.clip(motion_s / 0.06, 0, 1) + 0.25 * np.clip(cuts_per_s / 1.0, 0, 1) + 0.15 * light, 0, 1)
    step = int(ANALYSIS_FPS / 2)
    return [(i / ANALYSIS_FPS, float(energy[i])) for i in range(0, len(energy), step)]


def detect_speech(info: VideoInfo) -> tuple[bool, float]:
    """(speech present, share of the soundtrack's half-seconds that sound like speech).

    A heuristic, not a model: a half-second counts as speech when most of its energy lies in the
    voice band (250-4000 Hz) and its loudness envelope pulses at syllable rate (2-8 Hz)."""
    if info.audio_codec is None:
        return False, 0.0
    result = _run(["-i", str(info.path), "-map", "0:a:0", "-ac", "1", "-ar", str(SPEECH_RATE_HZ), "-f", "s16le", "-"])
    audio = np.frombuffer(result.stdout, dtype=np.int16).astype(np.float32) / 32768.0
    hop, block = SPEECH_RATE_HZ // 100, SPEECH_RATE_HZ // 2  # 10 ms frames, 0.5 s blocks
    if audio.size < block:
        return False, 0.0
    speech_blocks = 0
    blocks = audio.size // block
    freqs = np.fft.rfftfreq(block, 1 / SPEECH_RATE_HZ)
    voice = (freqs >= 250) & (freqs <= 4000)
    for b in range(blocks):
        x = audio[b * block : (b + 1) * block]
        if np.sqrt(np.mean(x**2)) < 0.005:
            continue
        power = np.abs(np.fft.rfft(x * np.hanning(block))) ** 2
        envelope = np.sqrt(np.mean(x[: block // hop * hop].reshape(-1, hop) ** 2, axis=1))  # [50] at 100 Hz
        modulation = np.abs(np.fft.rfft(envelope - envelope.mean())) ** 2
        mod_freqs = np.fft.rfftfreq(envelope.size, 1 / 100)
        syllabic = modulation[(mod_freqs >= 2) & (mod_freqs <= 8)].sum() / max(modulation[1:].sum(), 1e-12)
        if power[voice].sum() / max(power.sum(), 1e-12) > 0.7 and syllabic > 0.45:
            speech_blocks += 1
    ratio = speech_blocks / blocks
    return ratio >= 0.2, ratio


def analyse_video(path: str | Path, descriptors: dict, info: VideoInfo | None = None) -> VideoAnalysis:
    """The whole reading of a video (about a second per minute of 1080p on two cores)."""
    info = info or probe_video(path)
    frames = _frames(info)
    cut_frames, distance = find_cuts(frames)
    main = main_cuts(cut_frames, distance)
    bounds = [0, *cut_frames, len(frames)]
    scenes = [(a / ANALYSIS_FPS, min(b / ANALYSIS_FPS, info.duration_s)) for a, b in itertools.pairwise(bounds)]
    readings = [
        read_pixels(frames[(a + b) // 2].astype(np.float32) / 255.0, descriptors) for a, b in itertools.pairwise(bounds)
    ]
    weights = np.array([b - a for a, b in itertools.pairwise(bounds)], dtype=float)
    weights /= weights.sum()
    speech, speech_ratio = detect_speech(info)
    reading = _combine(readings, weights)
    energy = energy_over_time(frames, cut_frames)
    reading.duration_s = info.duration_s
    reading.cuts_s = [i / ANALYSIS_FPS for i in main]
    reading.energy_s = energy
    mean_energy = float(np.mean([e for _, e in energy]))
    reading.reasons = {
        "input": (
            f"the video ({info.duration_s:.2f} s, {len(scenes)} scene{'s' * (len(scenes) != 1)}, "
            f"{len(main)} main cut{'s' * (len(main) != 1)}) reads as valence {reading.valence:+.2f} and energy "
            f"{reading.arousal:.2f} from its scenes' light and colour; its motion sets the energy of each bar "
            f"(mean {mean_energy:.2f})" + ("; it has speech, so the music ducks under it" if speech else "")
        )
    }
    reading.details = {
        "label": "the video",
        "scenes": len(scenes),
        "cuts_s": [round(i / ANALYSIS_FPS, 3) for i in cut_frames],
        "speech": speech,
        "speech_ratio": round(speech_ratio, 3),
        "fps": info.fps,
        "rotation": info.rotation,
        "video_codec": info.video_codec,
        "audio_codec": info.audio_codec,
    }
    return VideoAnalysis(
        info=info,
        cuts_s=[i / ANALYSIS_FPS for i in cut_frames],
        main_cuts_s=reading.cuts_s,
        energy_s=energy,
        scenes=scenes,
        speech=speech,
        speech_ratio=speech_ratio,
        reading=reading,
        details=reading.details,
    )


def _combine(readings: list[Reading], weights: np.ndarray) -> Reading:
    """Scene readings -> one, weighted by scene length."""
    scores = {
        category: {
            name: float(sum(w * r.scores[category][name] for r, w in zip(readings, weights)))
            for name in readings[0].scores[category]
        }
        for category in readings[0].scores
    }
    return Reading(
        scores=scores,
        valence=float(sum(w * r.valence for r, w in zip(readings, weights))),
        arousal=float(sum(w * r.arousal for r, w in zip(readings, weights))),
    )
