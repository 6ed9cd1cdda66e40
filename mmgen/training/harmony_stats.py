"""Chord-progression statistics from real music in the music21 corpus (offline).

Method. Sources are the Bach chorales (``music21.corpus.chorales``, distinct files) plus the
corpus's other harmonic multi-voice works: the Haydn, Mozart, Beethoven and Schumann string
quartets, the Monteverdi madrigals (books 3-5) and Corelli op. 3 no. 1 (single-line pieces would
be skipped). Each piece is parsed from source (no pickle cache), ``chordify()``-ed, and the chord
sounding at each beat of the meter is taken (or, if it is not tertian, e.g. a suspension, the
first tertian chord starting within that beat). Pieces of at most 32 measures are labelled in the
key from ``analyze('key')`` (Krumhansl-Schmuckler) on the whole score, kept if its correlation
is at least 0.7. Longer ones are cut into 8-measure segments: the first and last use the
piece's key, the others their own local key (modulations) and are kept only if its correlation
is at least 0.75. The key's tonic is respelled as the music spells it (Db, not C#). A beat
chord is kept when it is tertian: a root and one third, with an optional fifth and seventh and
nothing else; a missing fifth is completed diatonically. A bare third is kept only in three or
more voices with its root in the bass and a diatonic completion (the fifth-less final tonic of
a chorale); open fifths, added-note and non-chord-tone sonorities are dropped. The triad is
labelled with ``music21.roman.romanNumeralFromChord`` without inversion figures: chromatic
prefix, numeral (case = quality), then ``°`` (diminished) or ``+`` (augmented). In minor this
follows music21's convention: the 6th and 7th degrees are named from the raised degrees, so the
natural-minor submediant and subtonic are ``bVI`` and ``bVII`` and the leading-tone triad is
``vii°``; ``root_semitones`` is authoritative. Whether the chord has a seventh is counted
separately. Consecutive equal labels are merged; fermatas end a phrase. Per mode we count
labels, label->label transitions inside phrases, the first label of the piece and of every
phrase after a fermata (start), and the label before the final tonic (I or i) of the piece and
of every phrase that ends on the tonic at a fermata (cadence). Labels covering 99% of chord
occurrences in a mode (plus the diatonic triads of the mode) are kept and the distributions
renormalised over them.

Run: ``python -m mmgen.training.harmony_stats [--out PATH] [--limit N] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import sys
import time
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from music21 import chord, common, converter, corpus, expressions, key, pitch, roman, stream

from ..paths import ASSETS

OUT = ASSETS / "harmony" / "chord_stats.json"
CORPUS = Path(common.getCorpusFilePath())
COLLECTIONS = {  # name -> corpus path prefixes (relative to the corpus root)
    "Haydn/Mozart/Beethoven/Schumann string quartets": (
        "haydn/",
        "mozart/k80/",
        "mozart/k155/",
        "mozart/k156/",
        "mozart/k458/",
        "beethoven/",
        "schumann_robert/opus41no1/",
    ),
    "Monteverdi madrigals": ("monteverdi/madrigal.",),
    "Corelli": ("corelli/",),
}
LONG_PIECE, SEGMENT = 32, 8  # measures
MIN_CORR_PIECE, MIN_CORR_SEGMENT = 0.7, 0.75
COVERAGE = 0.99
SCALE = {"major": {0, 2, 4, 5, 7, 9, 11}, "minor": {0, 2, 3, 5, 7, 8, 10}}
DIATONIC_PCS = {"major": SCALE["major"], "minor": SCALE["minor"] | {9, 11}}  # + raised 6, 7
DIATONIC = {
    "major": ("I", "ii", "iii", "IV", "V", "vi", "vii°"),
    "minor": ("i", "ii°", "III", "iv", "v", "V", "bVI", "bVII", "vii°"),
}
QUALITY = {  # (third, fifth) in semitones above the root -> quality, interval names
    (4, 7): ("major", "M3", "P5"),
    (3, 7): ("minor", "m3", "P5"),
    (3, 6): ("diminished", "m3", "d5"),
    (4, 8): ("augmented", "M3", "A5"),
}
SUFFIX = {"major": "", "minor": "", "diminished": "°", "augmented": "+"}
TONICS = ("I", "i")

Counts = dict[str, dict[str, Counter]]  # mode -> chords/sevenths/start/transitions/cadences
Info = dict[str, dict[str, tuple[int, str]]]  # mode -> label -> (root semitones, quality)


def sources(limit: int | None) -> list[tuple[str, str]]:
    """(collection, file path) for every piece, chorales first; ``limit`` samples evenly."""
    chorales = dict.fromkeys(corpus.chorales.Iterator(returnType="filename"))
    items = [("Bach chorales", corpus_file(name)) for name in chorales]
    for path in map(str, corpus.getPaths(fileExtensions=("mxl", "xml"))):
        rel = path.removeprefix(f"{CORPUS}/")
        for name, prefixes in COLLECTIONS.items():
            if rel.startswith(prefixes) and not rel.endswith("_old.mxl"):
                items.append((name, path))
    if limit:
        items = items[:: max(1, len(items) // limit)][:limit]
    return items


def corpus_file(name: str) -> str:
    """The file of a corpus work name such as 'bach/bwv269' (getWork also matches prefixes)."""
    for ext in (".mxl", ".xml"):
        if (CORPUS / f"{name}{ext}").exists():
            return str(CORPUS / f"{name}{ext}")
    work = corpus.getWork(name)
    return str(work[0] if isinstance(work, list) else work)


@lru_cache(maxsize=4096)
def label_triad(root_name: str, third: int, fifth: int, key_name: str) -> str:
    """Triad-level roman numeral of a root position triad in a key: 'V', 'bVII', '#iv°'..."""
    quality, third_name, fifth_name = QUALITY[third, fifth]
    root = pitch.Pitch(root_name)
    triad = chord.Chord([root, root.transpose(third_name), root.transpose(fifth_name)])
    rn = roman.romanNumeralFromChord(triad, key.Key(key_name))
    return rn.frontAlterationString + rn.romanNumeralAlone + SUFFIX[quality]


def analyse_chord(c: chord.Chord, k: key.Key) -> tuple[str, int, str, bool] | None:
    """(label, root semitones above tonic, quality, has seventh), or None if not tertian."""
    root = c.root()
    by_interval = {(p.pitchClass - root.pitchClass) % 12: p for p in c.pitches}
    rel = set(by_interval) - {0}
    thirds, fifths, sevenths = rel & {3, 4}, rel & {6, 7, 8}, rel & {9, 10, 11}
    if len(thirds) != 1 or len(fifths) > 1 or len(sevenths) > 1 or rel - {3, 4, 6, 7, 8, 9, 10, 11}:
        return None  # no third, two thirds (or fifths, sevenths), or a note outside the stack
    third = thirds.pop()
    degree = (root.pitchClass - k.tonic.pitchClass) % 12
    if fifths:
        fifth = fifths.pop()
    elif sevenths == {9} or (
        third == 3 and (degree + 7) % 12 not in SCALE[k.mode] and (degree + 6) % 12 in SCALE[k.mode]
    ):
        fifth = 6  # the diatonic fifth above this root is diminished (vii°, ii° in minor)
    else:
        fifth = 7
    quality = QUALITY.get((third, fifth), ("",))[0]
    if not quality or (sevenths == {9} and quality != "diminished"):
        return None  # e.g. a major third with a diminished fifth, or an added sixth
    if rel == {third} and (
        len(c.pitches) < 3
        or c.bass().pitchClass != root.pitchClass
        or any((degree + x) % 12 not in DIATONIC_PCS[k.mode] for x in (0, third, fifth))
    ):
        return None  # a bare third: kept only in 3+ voices, over its root, as a diatonic triad
    label = label_triad(root.name, third, fifth, k.tonicPitchNameWithCase)
    return label, degree, quality, bool(sevenths)


def beat_chords(measures: list[stream.Measure]) -> list[list[chord.Chord]]:
    """For each beat of the meter in a chordified score: the chord sounding at the beat, then
    those starting within the beat (used when the first is a suspension or passing chord)."""
    beats: list[list[chord.Chord]] = []
    ts, held = None, None  # held: (measure index, last beat covered by the latest beat chord)
    for i, m in enumerate(measures):
        ts = m.timeSignature or ts
        beat = ts.beatDuration.quarterLength if ts else 1.0
        for c in m.getElementsByClass(chord.Chord):
            start = (c.offset + m.paddingLeft) / beat
            end = start + c.quarterLength / beat
            if math.ceil(start - 1e-6) < end - 1e-6:  # sounds at a beat
                beats.append([c])
                held = (i, math.ceil(end - 1e-6) - 1)
            elif held == (i, math.floor(start + 1e-6)):
                beats[-1].append(c)
    return beats


def respell(k: key.Key, beats: list[list[chord.Chord]]) -> key.Key:
    """The key with its tonic spelled as the music spells it (the analysis may say C# for Db)."""
    names = Counter(p.name for group in beats for c in group for p in c.pitches)
    tonic = max(
        (k.tonic, k.tonic.getEnharmonic(), k.tonic.getLowerEnharmonic(), k.tonic.getHigherEnharmonic()),
        key=lambda p: names[p.name],
    )
    return key.Key(tonic.name, k.mode)


def count_segment(
    beats: list[list[chord.Chord]], k: key.Key, first: bool, last: bool, counts: Counts, info: Info
) -> None:
    """Add one key-homogeneous stretch of beat chords to the counts of its mode."""
    k = respell(k, beats)
    phrases: list[tuple[list[str], list[bool], bool, bool]] = []  # labels, 7ths, start, cadence
    labels: list[str] = []
    sevenths: list[bool] = []
    starts_phrase = first
    for i, group in enumerate(beats):
        found = next(filter(None, (analyse_chord(c, k) for c in group)), None)
        if found:
            label, degree, quality, seventh = found
            info[k.mode].setdefault(label, (degree, quality))
            if labels and labels[-1] == label:
                sevenths[-1] |= seventh
            else:
                labels.append(label)
                sevenths.append(seventh)
        fermata = any(isinstance(e, expressions.Fermata) for c in group for e in c.expressions)
        if labels and (fermata or i == len(beats) - 1):
            phrases.append((labels, sevenths, starts_phrase, fermata or last))
            labels, sevenths, starts_phrase = [], [], fermata
    mode = counts[k.mode]
    for labels, sevenths, is_start, is_end in phrases:
        mode["chords"].update(labels)
        mode["sevenths"].update(lab for lab, s in zip(labels, sevenths) if s)
        mode["transitions"].update(itertools.pairwise(labels))
        if is_start:
            mode["start"][labels[0]] += 1
        if is_end and len(labels) > 1 and labels[-1] in TONICS:
            mode["cadences"][labels[-2]] += 1


def analyse_piece(path: str) -> tuple[Counts, Info, str | None]:
    """Counts per mode and label info for one piece, or an error message."""
    counts: Counts = {m: defaultdict(Counter) for m in ("major", "minor")}
    info: Info = {"major": {}, "minor": {}}
    try:
        score = converter.parse(path, forceSource=True, storePickle=False)
        if len(score.parts) < 2:
            return {}, {}, "single line"
        home = score.analyze("key")
        chordified = score.chordify()
        measures = list(chordified.getElementsByClass(stream.Measure))
        if len(measures) <= LONG_PIECE:
            if home.correlationCoefficient < MIN_CORR_PIECE:
                return {}, {}, "key unclear"
            count_segment(beat_chords(measures), home, True, True, counts, info)
            return counts, info, None
        for i in range(0, len(measures), SEGMENT):  # a piece opens and closes in its home key
            first, last = i == 0, i + SEGMENT >= len(measures)
            k = home if first or last else chordified.measures(i, i + SEGMENT, indicesNotNumbers=True).analyze("key")
            if k.correlationCoefficient >= (MIN_CORR_PIECE if k is home else MIN_CORR_SEGMENT):
                count_segment(beat_chords(measures[i : i + SEGMENT]), k, first, last, counts, info)
    except Exception as exc:
        return {}, {}, f"{type(exc).__name__}: {exc}"
    return counts, info, None


def normalise(counter: Counter, keep: list[str]) -> dict[str, float]:
    """Probabilities over ``keep`` (descending), rounded to 4 decimals and summing to 1."""
    total = sum(counter[x] for x in keep)
    probs = (
        {x: round(counter[x] / total, 4) for x in sorted(keep, key=lambda x: -counter[x]) if counter[x]}
        if total
        else {}
    )
    if probs:
        top = next(iter(probs))
        probs[top] = round(probs[top] + 1 - sum(probs.values()), 4)
    return probs


def summarise(mode: str, c: dict[str, Counter], info: dict[str, tuple[int, str]]) -> dict:
    """The JSON block of one mode: kept chords, start, transition and cadence distributions."""
    total, running, keep = sum(c["chords"].values()), 0, []
    for label, n in c["chords"].most_common():
        if running < COVERAGE * total or label in DIATONIC[mode]:
            keep.append(label)
        running += n
    rows: dict[str, Counter] = defaultdict(Counter)
    for (a, b), n in c["transitions"].items():
        rows[a][b] += n
    unigram = Counter({x: c["chords"][x] for x in keep})
    return {
        "chords": {
            x: {
                "root_semitones": info[x][0],
                "quality": info[x][1],
                "seventh_ratio": round(c["sevenths"][x] / c["chords"][x], 4),
                "count": c["chords"][x],
            }
            for x in keep
        },
        "start": normalise(c["start"], keep),
        # a label never followed by a kept label (rare) falls back to the chord distribution
        "transitions": {x: normalise(rows[x], keep) or normalise(unigram, [y for y in keep if y != x]) for x in keep},
        "cadences": normalise(c["cadences"], keep),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--limit", type=int, default=None, help="use only N pieces (testing)")
    parser.add_argument("--workers", type=int, default=2, choices=(1, 2))
    args = parser.parse_args(argv)

    t0 = time.time()
    items = sources(args.limit)
    paths = sorted({p for _, p in items}, key=lambda p: -Path(p).stat().st_size)  # big first
    totals: dict[str, dict[str, Counter]] = {m: defaultdict(Counter) for m in ("major", "minor")}
    info: Info = {"major": {}, "minor": {}}
    failed: dict[str, str] = {}
    with multiprocessing.Pool(args.workers) as pool:
        for done, (path, (counts, labels, error)) in enumerate(zip(paths, pool.imap(analyse_piece, paths)), 1):
            if error:
                failed[path] = error
                print(f"skipped {Path(path).name}: {error}", file=sys.stderr)
            for mode, by_kind in counts.items():
                for kind, counter in by_kind.items():
                    totals[mode][kind].update(counter)
                for label, value in labels[mode].items():
                    if info[mode].setdefault(label, value) != value:
                        print(f"label {label} ({mode}) is {value} and {info[mode][label]}", file=sys.stderr)
            if done % 25 == 0:
                print(f"{done}/{len(paths)} pieces, {time.time() - t0:.0f}s", file=sys.stderr)

    used = Counter(name for name, p in items if p not in failed)
    command = " ".join(["python -m mmgen.training.harmony_stats", *(argv or sys.argv[1:])])
    result = {
        "source": "music21 corpus: "
        + ", ".join(f"{n} ({used[n]})" for n in used)
        + f"; {sum(used.values())} pieces used, {len(failed)} skipped",
        "method": " ".join(__doc__.split("\n\n")[1].replace("``", "").split())[len("Method. ") :],
        "command": command.strip(),
        "modes": {m: summarise(m, totals[m], info[m]) for m in ("major", "minor")},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {time.time() - t0:.0f}s: {result['source']}", file=sys.stderr)


if __name__ == "__main__":
    main()
