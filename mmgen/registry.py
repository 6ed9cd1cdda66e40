"""Name -> component lookup for encoders, decoders and codecs.

Each entry carries a factory (imported lazily, so listing components loads no model), a one-line
description for people, and an availability check that returns a plain-language reason when the
component cannot run here. Adding a component is one file plus one `register` call in
mmgen/components.py, which registers the built-in ones.

This module is a leaf: it imports nothing of mmgen but its errors, so any component can import
`Availability` from here without an import circle.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .errors import InvalidRequest, Unavailable


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class Licence:
    """What the people who use an engine's tracks may do with them: a short SPDX-like id, whether
    commercial use is allowed ("yes", "no", or "limited": under conditions the sentence names), a
    one-line term (written into the files' tags) and a plain sentence (shown where the engine is
    chosen, under the result and in the report)."""

    id: str
    commercial: str
    term: str
    text: str

    def line(self) -> str:
        """The id and the term, as the files' tags carry it: "CC-BY-NC-4.0: non-commercial use only"."""
        return f"{self.id}: {self.term}"


COMMERCIAL = ("yes", "limited", "no")  # from the least to the most restricted


@dataclass
class Entry:
    kind: str  # "encoder" | "decoder" | "codec"
    name: str
    target: str  # "package.module:ClassName", imported on first use
    description: str
    check: Callable[[], Availability]
    offline: bool  # runs with no downloaded weights
    clip_use: str | None = None  # what an uploaded audio clip does: "continue", "melody" or nothing
    licence: Licence | None = None  # what its tracks may be used for (every engine and singer has one)
    tokens: str = "score"  # decoders: the token kind they emit ("score", "audio" codes or "latent")

    def load_class(self):
        module_name, class_name = self.target.split(":")
        return getattr(importlib.import_module(module_name), class_name)


_ENTRIES: dict[tuple[str, str], Entry] = {}
_INSTANCES: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()


def _always() -> Availability:
    return Availability(True)


def register(
    kind: str,
    name: str,
    target: str,
    description: str,
    check: Callable[[], Availability] = _always,
    offline: bool = True,
    clip_use: str | None = None,
    licence: Licence | None = None,
    tokens: str = "score",
) -> None:
    _ENTRIES[(kind, name)] = Entry(kind, name, target, description, check, offline, clip_use, licence, tokens)


def entries(kind: str) -> list[Entry]:
    return [e for (k, _), e in _ENTRIES.items() if k == kind]


def availability(kind: str, name: str) -> Availability:
    return entry(kind, name).check()


def get(kind: str, name: str):
    """The shared instance of a component (built once per process; models load lazily inside)."""
    found = entry(kind, name)
    status = found.check()
    if not status.ok:
        raise Unavailable(f"The {kind} '{name}' is not available here: {status.reason}")
    with _LOCK:
        if (kind, name) not in _INSTANCES:
            _INSTANCES[(kind, name)] = found.load_class()()
        return _INSTANCES[(kind, name)]


def entry(kind: str, name: str) -> Entry:
    """The registry entry of a component (InvalidRequest naming the choices when there is none)."""
    try:
        return _ENTRIES[(kind, name)]
    except KeyError:
        known = ", ".join(e.name for e in entries(kind))
        if not known:  # a programming error, not a user's: nothing of this kind was registered
            raise LookupError(
                f"No {kind} is registered: call mmgen.components.register_builtins() "
                "(importing mmgen.pipeline does) before looking one up."
            ) from None
        raise InvalidRequest(f"There is no {kind} called '{name}'. Choose one of: {known}.") from None
