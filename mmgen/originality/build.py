"""Building the index: `python -m mmgen.originality.build` writes the shipped one from the cached
corpus (training/corpus.py) and calibrates it (calibrate.py); `--midi-folder DIR` indexes a
folder of your own (see index.py)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ..symbolic.piece import Piece
from .index import Index, index_folder, known_pieces, progress_bar, shipped_path

OTHER_TUNES = 1000  # Essen folk songs the thresholds are calibrated on


def training_pieces(progress: bool = True) -> tuple[list[Piece], list[Piece]]:
    """(the shipped weights' training pieces, the held-out ones) of the cached corpus, the
    chorales titled by their BWV number and name."""
    from ..symbolic.dataset import held_out
    from ..training import corpus

    pieces = corpus.load(corpus.SHIPPED_COLLECTIONS)
    held = [held_out(p) for p in pieces]  # before titling: the split hashes the corpus's own title
    _title_chorales([p for p in pieces if p.collection == "chorales"], progress)
    return [p for p, h in zip(pieces, held) if not h], [p for p, h in zip(pieces, held) if h]


def _title_chorales(chorales: list[Piece], progress: bool) -> None:
    """The corpus keeps no chorale titles: each chorale file is read again (a minute and a half)
    and the pieces are matched to their files by their melodies."""
    if not chorales:
        return
    from music21 import corpus as m21corpus

    from ..training import corpus

    names = m21corpus.chorales.ChoraleList().byBWV
    by_melody = {}
    items = corpus.sources(("chorales",))
    started = time.time()
    for i, item in enumerate(items, 1):
        number = Path(item[1]).stem.removeprefix("bwv")
        known = names.get(int(number)) if number.isdigit() else None
        title = f"Bach chorale BWV {number}" + (f", {known['title']}" if known else "")
        for found in corpus.parse_file(item):
            by_melody.setdefault(_melody_key(found["parts"]["melody"]), title)
        if progress and (i % 10 == 0 or i == len(items)):
            progress_bar("chorale titles", i, len(items), started)
    for piece in chorales:
        piece.title = by_melody.get(_melody_key(piece.parts["melody"]), "Bach chorale")


def _melody_key(notes: list) -> tuple:
    return tuple((round(float(n[0]), 3), int(n[2])) for n in notes[:40])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--midi-folder", help="index every MIDI file under this folder (a folder you trained on)")
    parser.add_argument("--name", help="with --midi-folder: the index's name (default: the folder's)")
    parser.add_argument("--out", help="where to write the index (default: see above)")
    args = parser.parse_args(argv)
    started = time.time()
    if args.midi_folder:
        from ..training.midi_folder import midi_pieces

        folder = Path(args.midi_folder).expanduser()
        if not folder.is_dir():
            parser.error(f"--midi-folder {folder}: no such folder")
        pieces = midi_pieces(folder)
        if not pieces:
            parser.error(f"no usable MIDI files under {folder}")
        out, index = index_folder(pieces, folder, args.name, Path(args.out) if args.out else None)
    else:
        from ..training import corpus
        from .calibrate import calibrate

        train, held = training_pieces()
        index = Index.from_pieces(train, progress=True, meta={"source": "shipped corpus"})
        other = corpus.load(("essen",))  # human tunes of another tradition, never trained on
        other = [other[i] for i in np.random.default_rng(0).permutation(len(other))[:OTHER_TUNES]]
        index.meta["calibration"] = calibrate(index, train, held, other, progress=True)
        index.meta["build_s"] = round(time.time() - started, 1)
        out = Path(args.out) if args.out else shipped_path()
        index.save(out)
    known_pieces.cache_clear()
    size = out.stat().st_size
    print(f"{len(index)} pieces, {len(index.melody)} melody codes -> {out} ({size / 1e6:.2f} MB)")
    print(f"built in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
