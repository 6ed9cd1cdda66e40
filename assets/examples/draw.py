"""Draws the example pictures and videos of the studio's Image and Video tabs (made here, so
they carry no one else's rights): ``python assets/examples/draw.py``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
W, H = 640, 360


def _gradient(top: tuple, bottom: tuple, height: int) -> np.ndarray:
    t = np.linspace(0, 1, height)[:, None, None]
    return (np.array(top)[None, None] * (1 - t) + np.array(bottom)[None, None] * t).repeat(W, 1)


def sunset() -> Image.Image:
    """Warm sky over a dark sea, the sun low and reflected."""
    pixels = np.zeros((H, W, 3))
    horizon = int(H * 0.62)
    pixels[:horizon] = _gradient((62, 40, 110), (250, 150, 60), horizon)
    pixels[horizon:] = _gradient((70, 45, 70), (20, 20, 45), H - horizon)
    image = Image.fromarray(pixels.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.ellipse([W * 0.58, horizon - 70, W * 0.58 + 90, horizon + 20], fill=(255, 210, 120))
    rng = np.random.default_rng(1)
    for y in range(horizon + 4, H, 7):
        half = 60 * (1 - (y - horizon) / (H - horizon)) + 8
        x = W * 0.58 + 45 + rng.normal(0, 6)
        draw.line([x - half, y, x + half, y], fill=(240, 170, 90), width=2)
    return image.filter(ImageFilter.GaussianBlur(1.2))


def night_city() -> Image.Image:
    """Dark towers with lit windows under a deep blue sky."""
    image = Image.fromarray(_gradient((8, 10, 30), (30, 30, 70), H).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(2)
    x = 0
    while x < W:
        width, height = int(rng.integers(40, 90)), int(rng.integers(120, 300))
        draw.rectangle([x, H - height, x + width, H], fill=(14, 14, 24))
        for wy in range(H - height + 10, H - 8, 14):
            for wx in range(x + 6, x + width - 8, 12):
                if rng.random() < 0.45:
                    draw.rectangle([wx, wy, wx + 5, wy + 7], fill=(255, 214, 120))
        x += width + int(rng.integers(2, 10))
    return image


def meadow() -> Image.Image:
    """A bright spring meadow: blue sky, green hills, flowers."""
    image = Image.fromarray(_gradient((110, 170, 240), (200, 230, 250), H).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.ellipse([-200, H * 0.45, W * 0.7, H * 1.6], fill=(90, 170, 70))
    draw.ellipse([W * 0.3, H * 0.52, W + 250, H * 1.7], fill=(110, 190, 80))
    draw.ellipse([W * 0.08, 30, W * 0.08 + 60, 90], fill=(255, 245, 190))
    rng = np.random.default_rng(3)
    for _ in range(160):
        fx, fy = rng.uniform(0, W), rng.uniform(H * 0.66, H)
        colour = [(250, 240, 80), (250, 120, 160), (255, 255, 255)][int(rng.integers(3))]
        draw.ellipse([fx - 3, fy - 3, fx + 3, fy + 3], fill=colour)
    return image


def video(path: Path, scenes: list[tuple[str, float]]) -> None:
    """A silent edit of ffmpeg's test sources, one scene per (source, seconds)."""
    from imageio_ffmpeg import get_ffmpeg_exe

    args = [get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    for source, seconds in scenes:
        sep = ":" if "=" in source else "="
        args += ["-f", "lavfi", "-t", f"{seconds}", "-i", f"{source}{sep}size=320x180:rate=25"]
    joined = "".join(f"[{i}:v]" for i in range(len(scenes)))
    args += [
        "-filter_complex",
        f"{joined}concat=n={len(scenes)}:v=1:a=0,format=yuv420p[v]",
        "-map",
        "[v]",
        "-c:v",
        "libx264",
        "-crf",
        "30",
        "-preset",
        "veryslow",
        "-movflags",
        "+faststart",
        str(path),
    ]
    subprocess.run(args, check=True)


def main() -> None:
    for name, draw in (("sunset.jpg", sunset), ("night_city.jpg", night_city), ("meadow.jpg", meadow)):
        draw().save(HERE / name, quality=85)
    video(
        HERE / "montage.mp4",
        [("mandelbrot", 2.4), ("gradients=seed=3:speed=0.05", 2.0), ("smptehdbars", 2.6), ("testsrc2", 1.8)],
    )
    video(HERE / "slow_pan.mp4", [("gradients=speed=0.02", 4.0), ("gradients=seed=7:speed=0.02", 4.0)])
    print("drawn in", HERE, file=sys.stderr)


if __name__ == "__main__":
    main()
