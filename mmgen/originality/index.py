"""The index of what the learned models learned from: every training piece's melody and chord codes
(features.py), searchable by n-gram.

    python -m mmgen.originality.build                      # the shipped index (assets/originality/)
    python -m mmgen.originality.build --midi-folder DIR    # add a folder you trained or fine-tuned on

The shipped index holds the training pieces of the shipped weights: the collections of
training/corpus.SHIPPED_COLLECTIONS less the held-out 5 % (symbolic/dataset.held_out); those and
a thousand Essen folk songs calibrate the check instead (calibrate.py). It stores only the codes
(one byte a note, one a chord change) and the titles, about 0.2 MB compressed, so it ships in
`assets/originality/` and the check works on a fresh install without the corpus; the n-gram
tables are made from the codes when it is first loaded (a tenth of a second). A folder's index
goes to the data folder's `originality/` (every training run with --midi-folder writes one), and
every check reads it too.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from ..paths import ASSETS
from ..symbolic.piece import Piece
from .features import chord_codes, melody_codes

MELODY_N = 5  # codes per melody n-gram (6 notes)
CHORD_N = 3  # chord changes per chord n-gram
FORMAT = 1


def shipped_path() -> Path:
    return ASSETS / "originality" / "index.npz"


def folder_indexes_dir() -> Path:
    from ..library.store import data_folder

    return data_folder() / "originality"


@dataclass
class NgramTable:
    """Every n-gram of a set of code sequences: its key (the n codes as one integer), the piece
    and the position (in the concatenated codes) where it starts, sorted by key."""

    n: int
    keys: np.ndarray
    pieces: np.ndarray
    positions: np.ndarray
    frequency: dict = field(default_factory=dict)  # key -> pieces holding it (filled on demand)

    @classmethod
    def of(cls, codes: np.ndarray, starts: np.ndarray, n: int) -> NgramTable:
        keys = ngram_keys(codes, n)
        piece_of = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
        valid = np.zeros(len(codes), dtype=bool)
        for first, end in itertools.pairwise(starts):  # n-grams that stay inside one piece
            valid[first : max(first, end - n + 1)] = True
        positions = np.flatnonzero(valid[: len(keys)])
        order = np.argsort(keys[positions], kind="stable")
        positions = positions[order]
        return cls(n, keys[positions], piece_of[positions], positions)

    def hits(self, query_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query position, piece, position) of every place a query n-gram occurs."""
        left = np.searchsorted(self.keys, query_keys, "left")
        right = np.searchsorted(self.keys, query_keys, "right")
        counts = right - left
        query = np.repeat(np.arange(len(query_keys)), counts)
        where = np.concatenate([np.arange(a, b) for a, b in zip(left, right)]) if counts.sum() else np.zeros(0, int)
        return query, self.pieces[where], self.positions[where]


def ngram_keys(codes: np.ndarray, n: int) -> np.ndarray:
    """Each run of n codes (bytes) as one int64 (exact: n <= 7)."""
    if len(codes) < n:
        return np.zeros(0, dtype=np.int64)
    keys = np.zeros(len(codes) - n + 1, dtype=np.int64)
    for k in range(n):
        keys = keys * 256 + codes[k : len(codes) - n + 1 + k].astype(np.int64)
    return keys


@dataclass
class Index:
    """Known pieces: titles, collections and their melody and chord codes (concatenated, with
    each piece's start), plus what the index was built from and the check's thresholds."""

    titles: list[str]
    collections: list[str]
    melody: np.ndarray
    melody_starts: np.ndarray
    chords: np.ndarray
    chord_starts: np.ndarray
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.titles)

    @classmethod
    def from_pieces(cls, pieces: Iterable[Piece], progress: bool = False, meta: dict | None = None) -> Index:
        pieces = list(pieces)
        titles, collections, melodies, chords = [], [], [], []
        started = time.time()
        for i, piece in enumerate(pieces, 1):
            melody = melody_codes(piece.parts.get("melody", []))
            if len(melody) < MELODY_N:
                continue
            titles.append(piece.title or "untitled")
            collections.append(piece.collection)
            melodies.append(melody)
            chords.append(chord_codes(piece))
            if progress and (i % 50 == 0 or i == len(pieces)):
                progress_bar("indexed", i, len(pieces), started)
        return cls(titles, collections, *_joined(melodies), *_joined(chords), dict(meta or {}))

    def piece_melody(self, piece: int) -> np.ndarray:
        return self.melody[self.melody_starts[piece] : self.melody_starts[piece + 1]]

    def piece_chords(self, piece: int) -> np.ndarray:
        return self.chords[self.chord_starts[piece] : self.chord_starts[piece + 1]]

    def melody_table(self) -> NgramTable:
        if "_melody" not in self.__dict__:
            self.__dict__["_melody"] = NgramTable.of(self.melody, self.melody_starts, MELODY_N)
        return self.__dict__["_melody"]

    def chord_table(self) -> NgramTable:
        if "_chords" not in self.__dict__:
            self.__dict__["_chords"] = NgramTable.of(self.chords, self.chord_starts, CHORD_N)
        return self.__dict__["_chords"]

    def merged(self, other: Index) -> Index:
        """This index and another's pieces (the meta, thresholds included, are this one's)."""
        melodies = [self.piece_melody(i) for i in range(len(self))] + [other.piece_melody(i) for i in range(len(other))]
        chords = [self.piece_chords(i) for i in range(len(self))] + [other.piece_chords(i) for i in range(len(other))]
        return Index(
            self.titles + other.titles,
            self.collections + other.collections,
            *_joined(melodies),
            *_joined(chords),
            dict(self.meta),
        )

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {"format": FORMAT, "titles": self.titles, "collections": self.collections, **self.meta}
        partial = path.with_name(path.name + ".partial.npz")
        np.savez_compressed(
            partial,
            header=np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), dtype=np.uint8),
            melody=self.melody,
            melody_starts=self.melody_starts.astype(np.int32),
            chords=self.chords,
            chord_starts=self.chord_starts.astype(np.int32),
        )
        partial.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> Index:
        with np.load(Path(path)) as data:
            header = json.loads(bytes(data["header"]).decode())
            if header.pop("format", None) != FORMAT:
                raise ValueError(f"{path} is an index of another format: rebuild it")
            titles, collections = header.pop("titles"), header.pop("collections")
            arrays = [data[k] for k in ("melody", "melody_starts", "chords", "chord_starts")]
        return cls(
            titles, collections, arrays[0], arrays[1].astype(np.int64), arrays[2], arrays[3].astype(np.int64), header
        )


def _joined(sequences: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    starts = np.zeros(len(sequences) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(s) for s in sequences])
    codes = np.concatenate(sequences).astype(np.uint8) if sequences else np.zeros(0, dtype=np.uint8)
    return codes, starts


def progress_bar(label: str, done: int, total: int, started: float) -> None:
    filled = int(30 * done / max(1, total))
    print(
        f"\r  {label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}  {time.time() - started:.0f} s",
        end="\n" if done == total else "",
        file=sys.stderr,
        flush=True,
    )


@cache
def known_pieces() -> Index | None:
    """The shipped index with every folder index added (None when none is here)."""
    index = Index.load(shipped_path()) if shipped_path().is_file() else None
    folder = folder_indexes_dir()
    for path in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        try:
            extra = Index.load(path)
        except (OSError, ValueError, KeyError) as error:
            print(f"mmgen: skipping the originality index {path}: {error}", file=sys.stderr)
            continue
        index = extra if index is None else index.merged(extra)
    return index


def index_folder(pieces: list[Piece], folder: Path, name: str | None = None, out: Path | None = None):
    """Index a MIDI folder's pieces (one a model was trained or fine-tuned on) beside the shipped
    index, so every later check knows them; (where it was written, the index)."""
    index = Index.from_pieces(pieces, meta={"source": str(folder)})
    if out is None:  # two folders of one name keep an index each
        tag = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:8]
        out = folder_indexes_dir() / f"{name or Path(folder).name or 'folder'}-{tag}.npz"
    index.save(out)
    known_pieces.cache_clear()
    return out, index
