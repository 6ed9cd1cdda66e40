"""Where mmgen's data files are: `mmgen/assets` inside an installed package (the wheel carries
the checkout's top-level `assets/` there), else the checkout's own `assets/`."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _assets_dir() -> Path:
    installed = _PACKAGE / "assets"
    return installed if installed.is_dir() else _PACKAGE.parent / "assets"


ASSETS: Path = _assets_dir()
