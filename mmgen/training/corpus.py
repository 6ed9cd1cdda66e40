"""The training corpus of the learned symbolic decoders: real music from the music21 corpus (or
a MIDI folder), parsed once into compact note lists and cached.

Collections and their terms (see the model cards in assets/models/):
- "oneills": O'Neill's Music of Ireland (1903; public domain), transcribed by Norbert Paap;
- "ryans": Ryan's Mammoth Collection (1883; public domain), contributed transcriptions;
- "chorales": the Bach chorales (public domain compositions);
- "essen": the Essen folksong database. Its encoders allow non-commercial use only, so it is
  opt-in (``--collections essen``) and no shipped weights are trained on it.

Each piece becomes a `Piece`: meter, key (tonic + mode, from the ABC ``K:`` field or the
Krumhansl-Schmuckler analysis), a bar length, and note lists per role ("melody"; chorales also
"alto", "tenor", "bass"), times in quarter notes from the first full bar line (a pickup has a
negative onset). Repeats are not expanded; ties are merged; grace notes are dropped.

Parsing ABC with music21 takes about 0.06 s a tune, so the whole set (3,000+ tunes) is parsed
once and kept in ``$MMGEN_CACHE`` (default ``~/.cache/mmgen``)/corpus-<collections>.json.gz.
Run: ``python -m mmgen.training.corpus [--collections oneills,ryans,chorales] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from ..symbolic.piece import METERS, Piece

SHIPPED_COLLECTIONS = ("oneills", "ryans", "chorales")
ALL_COLLECTIONS = SHIPPED_COLLECTIONS + ("essen",)
CHORALE_VOICES = {"soprano": "melody", "alto": "alto", "tenor": "tenor", "bass": "bass"}


class NoTrainingData(ValueError):
    """The data asked for holds nothing a model can learn from (said to the user as is)."""


def cache_dir() -> Path:
    return Path(os.environ.get("MMGEN_CACHE", Path.home() / ".cache" / "mmgen"))


def cache_path(collections: tuple[str, ...]) -> Path:
    return cache_dir() / f"corpus-{'-'.join(sorted(collections))}.json.gz"


def corpus_root() -> Path:
    from music21 import common

    return Path(common.getCorpusFilePath())


def sources(collections: tuple[str, ...]) -> list[tuple[str, str]]:
    """(collection, file) pairs; an ABC file may hold many tunes."""
    root, items = corpus_root(), []
    for name in collections:
        if name == "oneills":
            items += [(name, str(p)) for p in sorted((root / "oneills1850").glob("*.abc"))]
        elif name == "ryans":
            items += [(name, str(p)) for p in sorted((root / "ryansMammoth").glob("*.abc"))]
        elif name == "essen":
            items += [
                (name, str(p)) for p in sorted((root / "essenFolksong").glob("*.abc")) if not p.name.startswith("test")
            ]
        elif name == "chorales":
            from music21 import corpus

            files = dict.fromkeys(corpus.chorales.Iterator(returnType="filename"))
            items += [(name, str(corpus.getWork(f))) for f in files]
        else:
            raise NoTrainingData(f"unknown collection {name!r}; choose from {', '.join(ALL_COLLECTIONS)}")
    return items


def parse_file(item: tuple[str, str]) -> list[dict]:
    """Every usable piece in one file, as `Piece` dicts (unusable tunes are skipped)."""
    from music21 import converter, stream

    collection, path = item
    try:
        parsed = converter.parse(path)
    except Exception:  # one malformed file must not stop the corpus
        return []
    scores = parsed.scores if isinstance(parsed, stream.Opus) else [parsed]
    pieces = []
    for score in scores:
        try:
            piece = _piece(collection, score)
        except Exception:
            piece = None
        if piece is not None:
            pieces.append(asdict(piece))
    return pieces


def _piece(collection: str, score) -> Piece | None:
    from music21 import key as m21key
    from music21 import meter as m21meter
    from music21 import tempo

    parts = list(score.parts)
    if not parts:
        return None
    if collection == "chorales":
        named = {CHORALE_VOICES.get((p.partName or "").strip().lower()): p for p in parts}
        named.pop(None, None)
        if "melody" not in named or "bass" not in named:
            return None
    else:
        named = {"melody": parts[0]}
    first = named["melody"]
    measures = list(first.getElementsByClass("Measure"))
    if len(measures) < 4:
        return None
    # The meter that holds most bars (ABC files sometimes open with a spurious 1/16).
    counts: dict[str, int] = {}
    for m in measures:
        ts = m.timeSignature or m.getContextByClass(m21meter.TimeSignature)
        if ts is not None:
            counts[ts.ratioString] = counts.get(ts.ratioString, 0) + 1
    if not counts:
        return None
    meter = max(counts, key=counts.get)
    if meter == "2/2":
        meter = "4/4"
    if meter not in METERS:
        return None
    num, den = (int(x) for x in meter.split("/"))
    bar_q = num * 4.0 / den
    keys = list(score.recurse().getElementsByClass(m21key.Key))
    found = keys[0] if keys else score.analyze("key")
    if found.mode not in ("major", "minor"):  # modal ABC keys (K:Ador): use the analysed key
        found = score.analyze("key")
    pickup = measures[0].paddingLeft if measures[0].paddingLeft else 0.0
    if not pickup and measures[0].duration.quarterLength < bar_q - 1e-6 and len(measures) > 1:
        pickup = bar_q - measures[0].duration.quarterLength  # an anacrusis bar without padding
    shift = (bar_q - pickup) if pickup else 0.0  # first full bar line at onset 0
    notes_by_role: dict[str, list[list[float]]] = {}
    for role, part in named.items():
        notes = []
        for element in part.stripTies().flatten().notes:
            duration = float(element.duration.quarterLength)
            if duration <= 0:  # grace note
                continue
            pitch = max(p.midi for p in element.pitches) if element.isChord else element.pitch.midi
            onset = float(element.getOffsetInHierarchy(part)) - shift
            notes.append([round(onset, 4), round(duration, 4), int(pitch)])
        if notes:
            notes_by_role[role] = notes
    if len(notes_by_role.get("melody", ())) < 8:
        return None
    marks = list(score.recurse().getElementsByClass(tempo.MetronomeMark))
    qpm = float(marks[0].getQuarterBPM()) if marks and marks[0].number else None
    meta = score.metadata
    title = (meta.title if meta and meta.title else "") or ""
    tune_type = ""
    if collection != "chorales":
        tune_type = _guess_tune_type(title)  # music21 does not keep the ABC R: field
    return Piece(collection, title, meter, found.tonic.pitchClass, found.mode, bar_q, notes_by_role, qpm, tune_type)


def _guess_tune_type(title: str) -> str:
    lowered = title.lower()
    for word in (
        "reel",
        "jig",
        "hornpipe",
        "polka",
        "waltz",
        "march",
        "strathspey",
        "air",
        "slide",
        "mazurka",
        "schottische",
        "quickstep",
        "lament",
    ):
        if word in lowered:
            return word
    return ""


def build(collections: tuple[str, ...] = SHIPPED_COLLECTIONS, workers: int = 1, progress: bool = True) -> list[Piece]:
    items = sources(collections)
    pieces: list[dict] = []
    started = time.time()
    with multiprocessing.Pool(workers) as pool:
        for i, found in enumerate(pool.imap(parse_file, items, chunksize=1), 1):
            pieces += found
            if progress:
                print(
                    f"\r  parsed {i}/{len(items)} files, {len(pieces)} pieces, {time.time() - started:.0f} s",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
    if progress:
        print(file=sys.stderr)
    return [Piece(**p) for p in pieces]


def load(
    collections: tuple[str, ...] = SHIPPED_COLLECTIONS, workers: int = 1, midi_folder: str | Path | None = None
) -> list[Piece]:
    """The parsed corpus, from the cache when it is there (built and cached otherwise), plus the
    MIDI files under `midi_folder` (see midi_folder.py)."""
    extra = []
    if midi_folder:
        from .midi_folder import midi_pieces

        extra = midi_pieces(Path(midi_folder))
    if not collections:
        return extra
    return _load_collections(collections, workers) + extra


def training_data(collections_arg: str, midi_folder: str | None) -> tuple[tuple[str, ...], list[Piece] | None]:
    """A training script's --collections and --midi-folder as (the collections recorded in the
    model card, the pieces to train on; None = the cached corpus of those collections)."""
    collections = tuple(c.strip() for c in collections_arg.split(",") if c.strip())
    unknown = [c for c in collections if c not in ALL_COLLECTIONS]
    if unknown:
        raise NoTrainingData(f"unknown collection {unknown[0]!r}; choose from {', '.join(ALL_COLLECTIONS)}")
    if not midi_folder:
        if not collections:
            raise NoTrainingData("nothing to train on: name --collections or give --midi-folder")
        return collections, None
    if not Path(midi_folder).is_dir():
        raise NoTrainingData(f"--midi-folder {midi_folder}: no such folder")
    pieces = load(collections, midi_folder=midi_folder)
    if not pieces:
        raise NoTrainingData(f"no usable MIDI files under {midi_folder} (and no --collections)")
    return collections + ("midi",), pieces


def _load_collections(collections: tuple[str, ...], workers: int) -> list[Piece]:
    path = cache_path(collections)
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [Piece(**p) for p in json.load(f)]
    pieces = build(collections, workers)
    save(pieces, path)
    return pieces


def save(pieces: list[Piece], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with gzip.open(partial, "wt", encoding="utf-8") as f:
        json.dump([asdict(p) for p in pieces], f, separators=(",", ":"))
    partial.replace(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--collections", default=",".join(SHIPPED_COLLECTIONS))
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 1)))
    args = parser.parse_args(argv)
    collections = tuple(c.strip() for c in args.collections.split(",") if c.strip())
    started = time.time()
    pieces = build(collections, args.workers)
    save(pieces, cache_path(collections))
    by = {}
    for p in pieces:
        by[p.collection] = by.get(p.collection, 0) + 1
    print(f"{len(pieces)} pieces {by} in {time.time() - started:.0f} s -> {cache_path(collections)}")


if __name__ == "__main__":
    main()
