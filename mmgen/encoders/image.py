"""Pictures -> a musical reading: valence and energy, moods and styles, with the reasons.

Two readers share one output (`Reading`, see mmgen/encoders/reading.py):
- offline, always: interpretable visual features (brightness, warmth, saturation, contrast, edge
  density, dominant colours) mapped to valence and arousal with the colour-emotion weights of
  Valdez & Mehrabian (1994): pleasure = .69 brightness + .22 saturation, arousal = .60 saturation
  - .31 brightness; warmth adds to both, and visual complexity (edges, contrast) adds arousal.
- with weights: CLIP (openai/clip-vit-base-patch32) scores the picture zero-shot against the
  musical-descriptor vocabulary; see `ClipImageReader`.

Every image is opened defensively: a pixel cap far below Pillow's, EXIF rotation applied, CMYK,
palette, alpha and 16-bit images converted (16-bit rescaled, not clipped), the first frame of an
animation, and truncated or non-image files refused with a plain message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InvalidRequest
from .files import check_file
from .reading import Reading, va_scores

MAX_PIXELS = 40_000_000  # 40 MP: any photo; a 20000 x 20000 "decompression bomb" is refused
MAX_FILE_BYTES = 50 * 1024 * 1024
ANALYSIS_SIDE = 256  # features are computed on a copy at most this many pixels on a side


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Open an image file as RGB float32 `[H, W, 3]` in 0..1, or raise InvalidRequest."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    file = check_file(path, "image", MAX_FILE_BYTES)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses above 2x this before decoding anything
    try:
        with Image.open(file) as image:
            if image.width * image.height > MAX_PIXELS:
                raise InvalidRequest(
                    f"The image is {image.width} x {image.height} pixels; please use one "
                    f"under {MAX_PIXELS // 1_000_000} megapixels."
                )
            image.seek(0)  # an animation: its first frame
            image = ImageOps.exif_transpose(image)
            image.draft("RGB", (ANALYSIS_SIDE * 2, ANALYSIS_SIDE * 2))  # JPEGs decode smaller, faster
            pixels = _to_rgb(image)
    except InvalidRequest:
        raise
    except Image.DecompressionBombError:
        raise InvalidRequest(f"The image '{file.name}' is far too large in pixels to open safely.") from None
    except UnidentifiedImageError:
        raise InvalidRequest(
            f"'{file.name}' is not an image I can read. Please use a JPEG, PNG, WebP or GIF."
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidRequest(f"The image '{file.name}' is damaged or cut short.") from None
    return pixels


def _to_rgb(image) -> np.ndarray:
    """Any Pillow mode -> RGB float `[H, W, 3]`, downscaled for analysis. 16-bit greyscale is
    rescaled from its full range; alpha is composited over white; CMYK and palettes converted."""
    from PIL import Image

    image.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE))
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey = np.asarray(image, dtype=np.float32) / (
            65535.0 if image.mode.startswith("I;16") else max(1.0, float(np.asarray(image).max()))
        )
        return np.repeat(np.clip(grey, 0, 1)[..., None], 3, axis=2)
    if image.mode == "F":
        grey = np.asarray(image, dtype=np.float32)
        span = float(grey.max() - grey.min()) or 1.0
        return np.repeat(((grey - grey.min()) / span)[..., None], 3, axis=2)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


@dataclass
class VisualFeatures:
    brightness: float  # mean luma 0..1
    warmth: float  # red over blue, -1 (cold) .. 1 (warm)
    saturation: float  # mean chroma (max - min of R, G, B) 0..1: dark colours count as muted
    contrast: float  # luma spread 0..1
    edge_density: float  # share of pixels on an edge: visual complexity 0..1
    colours: list[tuple[str, float]]  # dominant colours: (hex, share of the picture)

    def to_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def visual_features(rgb: np.ndarray) -> VisualFeatures:
    """rgb `[H, W, 3]` in 0..1 -> the features the offline reader uses."""
    from PIL import Image

    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    gy, gx = np.gradient(luma)
    edges = np.hypot(gx, gy) > 0.08
    quantized = Image.fromarray((rgb * 255).astype(np.uint8)).quantize(colors=5, method=Image.Quantize.MEDIANCUT)
    palette = np.asarray(quantized.getpalette()[:15], dtype=int).reshape(-1, 3)
    counts = np.bincount(np.asarray(quantized).ravel(), minlength=len(palette))[: len(palette)]
    order = np.argsort(-counts)
    colours = [
        ("#{:02x}{:02x}{:02x}".format(*tuple(palette[i])), round(float(counts[i] / counts.sum()), 3))
        for i in order
        if counts[i] > 0
    ]
    return VisualFeatures(
        brightness=float(luma.mean()),
        warmth=float(np.clip(2.0 * (r - b).mean(), -1, 1)),
        saturation=float(saturation.mean()),
        contrast=float(np.clip(2.0 * luma.std(), 0, 1)),
        edge_density=float(edges.mean()),
        colours=colours,
    )


def valence_arousal(f: VisualFeatures) -> tuple[float, float]:
    """Visual features -> (valence -1..1, arousal 0..1). Valdez & Mehrabian's weights for
    brightness and saturation, centred on an average photo; warmth and complexity added."""
    pleasure = 0.69 * f.brightness + 0.22 * f.saturation  # about 0.1 (dark, grey) .. 0.9 (bright, vivid)
    valence = np.clip(3.0 * (pleasure - 0.40) + 0.5 * f.warmth, -1, 1)
    arousal = 0.60 * f.saturation - 0.31 * f.brightness  # about -0.3 .. 0.6
    arousal = np.clip(0.35 + 0.9 * arousal + 1.2 * f.edge_density + 0.25 * f.contrast + 0.15 * f.warmth, 0, 1)
    return float(valence), float(arousal)


def describe(f: VisualFeatures) -> str:
    """The features in plain words, for the plan's explanation."""
    light = "dark" if f.brightness < 0.35 else "bright" if f.brightness > 0.6 else "mid-lit"
    tone = "warm" if f.warmth > 0.12 else "cool" if f.warmth < -0.12 else "neutral-toned"
    colour = "vivid" if f.saturation > 0.45 else "muted" if f.saturation < 0.2 else "moderately colourful"
    busy = (
        "busy, detailed"
        if f.edge_density > 0.18
        else "simple, uncluttered"
        if f.edge_density < 0.06
        else "moderately detailed"
    )
    return (
        f"{light} (brightness {f.brightness:.0%}), {tone}, {colour} (saturation {f.saturation:.0%}), "
        f"{busy} (edges on {f.edge_density:.0%} of it)"
    )


def read_image(path: str | os.PathLike, descriptors: dict) -> Reading:
    """An image file -> its musical reading (CLIP when its weights are here, else the visual path)."""
    rgb = load_image(path)
    return read_pixels(rgb, descriptors, source=f"the picture ({Path(path).name})")


def read_pixels(rgb: np.ndarray, descriptors: dict, source: str = "the picture") -> Reading:
    features = visual_features(rgb)
    valence, arousal = valence_arousal(features)
    scores = va_scores(valence, arousal, descriptors)
    reason = (
        f"{source} is {describe(features)}: read as valence {valence:+.2f} "
        f"(pleasant when bright and warm) and energy {arousal:.2f} (high when vivid and busy)"
    )
    clip = clip_reader()
    if clip is not None:
        scores = clip.scores(rgb, descriptors)
        reason += "; CLIP matched it against the music vocabulary"
    reading = Reading(
        scores=scores,
        valence=valence,
        arousal=arousal,
        reasons={"input": reason},
        details={"label": source, "visual": features.to_dict(), "clip": clip is not None},
    )
    return with_caption(reading, rgb)


def with_caption(reading: Reading, rgb: np.ndarray) -> Reading:
    """When BLIP's weights are here: the scene caption, read by the text encoder like a prompt and
    averaged into the picture's scores (uses such as "travel vlog" come from it alone)."""
    from .. import registry
    from .caption import Captioner
    from .reading import blend_scores

    captioner = Captioner.shared()
    if captioner is None:
        return reading
    caption = captioner.caption(rgb)
    if not caption:
        return reading
    words = registry.get("encoder", "text").encode(caption)
    reading.scores = blend_scores(words.scores, reading)
    reading.details["caption"] = caption
    reading.reasons["input"] += f'; BLIP sees "{caption}"'
    return reading


def clip_reader():
    """The CLIP image reader when its weights are on this machine, else None (never downloads)."""
    from .clip_image import ClipImageReader

    return ClipImageReader.shared()
