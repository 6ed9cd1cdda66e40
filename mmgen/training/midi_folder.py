"""Your own music as training data: every MIDI file under a folder becomes corpus pieces.

    python -m mmgen.training.transformer --midi-folder ~/my-midi [--collections ""]

Per file (read with pretty_midi): the meter of its first time signature (4/4 when it has none;
files in other meters than the corpus's are skipped), the key of its first key signature or,
without one, the Krumhansl-Schmuckler key of its pitch-class durations; the melody is the
pitched track with the highest mean pitch (at least 8 notes), the bass the lowest, other pitched
tracks add to the harmony the bar chords are read from (and, split into an upper and a lower
line, are the GAN's inner voices); drum tracks become the "drums" part (the GAN's drum roll;
the other models leave it out). Times become
quarter notes through the file's own tempo map. Files that cannot be read are skipped, each
named in a one-line warning. Mind the licence of what you train on before sharing the weights.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..eval.metrics import key_of_pitch_classes
from ..symbolic.piece import METERS, Piece

MELODY_NAMES = ("melody", "lead", "vocal", "vocals")


def midi_piece(path: Path) -> Piece | None:
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(str(path))
    signatures = midi.time_signature_changes
    meter = f"{signatures[0].numerator}/{signatures[0].denominator}" if signatures else "4/4"
    meter = "4/4" if meter == "2/2" else meter
    if meter not in METERS:
        return None
    pitched = [i for i in midi.instruments if not i.is_drum and len(i.notes) >= 8]
    if not pitched:
        return None
    ticks = midi.resolution

    def quarters(seconds: float) -> float:
        return round(midi.time_to_tick(seconds) / ticks, 4)

    by_height = sorted(pitched, key=lambda i: -float(np.mean([n.pitch for n in i.notes])))
    named = [i for i in pitched if i.name.strip().lower() in MELODY_NAMES]  # as mmgen and most DAWs name it
    if named:
        by_height.remove(named[0])
        by_height.insert(0, named[0])
    roles = {"melody": by_height[0]}
    if len(by_height) > 1:
        roles["bass"] = by_height[-1]
    for k, inst in enumerate(by_height[1:-1]):
        roles[f"inner{k}"] = inst
    parts = {
        role: [
            [quarters(n.start), max(0.0625, round(quarters(n.end) - quarters(n.start), 4)), int(n.pitch)]
            for n in sorted(inst.notes, key=lambda n: (n.start, -n.pitch))
        ]
        for role, inst in roles.items()
    }
    melody = parts["melody"]
    melody[:] = [n for i, n in enumerate(melody) if i == 0 or n[0] != melody[i - 1][0]]  # one line: top note
    durations = np.zeros(12)
    for notes in parts.values():
        for _, duration, pitch in notes:
            durations[pitch % 12] += duration
    if midi.key_signature_changes:
        number = midi.key_signature_changes[0].key_number
        tonic, mode = number % 12, "major" if number < 12 else "minor"
    else:
        key = key_of_pitch_classes(durations)[0]
        tonic, mode = key.tonic_pc, key.mode
    drums = [[quarters(n.start), 0.25, int(n.pitch)] for i in midi.instruments if i.is_drum for n in i.notes]
    if drums:
        parts["drums"] = sorted(drums)
    num, den = (int(x) for x in meter.split("/"))
    tempos = midi.get_tempo_changes()[1]
    return Piece(
        "midi", path.stem, meter, tonic, mode, num * 4.0 / den, parts, float(tempos[0]) if len(tempos) else None, ""
    )


def midi_pieces(folder: Path) -> list[Piece]:
    pieces = []
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    for path in files:
        try:
            piece = midi_piece(path)
        except Exception as error:  # a broken file must not stop the run
            print(f"skipping {path}: {error}", file=sys.stderr)
            continue
        if piece is not None:
            pieces.append(piece)
    return pieces
