"""The checks every uploaded file gets before it is opened, with plain-language answers."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InvalidRequest


def check_file(path: str | os.PathLike, what: str, max_bytes: int | None = None) -> Path:
    """The file as a Path, if it exists, is not empty and (when given) is under `max_bytes`."""
    file = Path(path)
    if not file.is_file():
        raise InvalidRequest(f"I can't find the {what} '{file.name}'.")
    size = file.stat().st_size
    if size == 0:
        raise InvalidRequest(f"The {what} '{file.name}' is empty.")
    if max_bytes is not None and size > max_bytes:
        limit = f"{max_bytes / 2**30:g} GB" if max_bytes >= 2**30 else f"{max_bytes / 2**20:g} MB"
        raise InvalidRequest(f"The {what} '{file.name}' is {size / 2**20:,.0f} MB; please use one under {limit}.")
    return file
