"""The originality check against the shipped index of the training tunes: a take made to copy a
training tune is flagged with the tune named and written again; ordinary takes of the composer
and the learned models pass, as does a common progression; `python -m mmgen check` says the same
of a file; a folder a model was trained on is indexed and checked against."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

import mmgen.pipeline  # noqa: F401 (registers the engines)
from mmgen.originality.check import check_piece, check_score, thresholds_of
from mmgen.originality.index import known_pieces, shipped_path
from mmgen.originality.takes import MAX_RETRIES, checked_takes, originality_note
from mmgen.request import GenerationRequest
from mmgen.tokens import NoteEvent

pytestmark = pytest.mark.skipif(not shipped_path().is_file(), reason="the shipped originality index is missing")


@pytest.fixture(scope="module")
def training_tune():
    """A tune the shipped models learned from: the first long one of O'Neill's first file (music21's corpus)."""
    from mmgen.symbolic.dataset import held_out
    from mmgen.symbolic.piece import Piece
    from mmgen.training import corpus

    item = corpus.sources(("oneills",))[0]
    pieces = [Piece(**p) for p in corpus.parse_file(item)]
    return next(p for p in pieces if not held_out(p) and len(p.parts["melody"]) >= 48)


@pytest.fixture(scope="module")
def composed():
    """A composer take: (plan, tokens)."""
    from mmgen import registry
    from mmgen.pipeline import make_plan

    plan = make_plan(GenerationRequest(prompt="a celtic jig for a pub scene", duration_s=20, seed=4))
    return plan, registry.get("decoder", "composer").decode_many([plan], [4])[0]


def _copying(tokens, tune, notes: int = 32):
    """The take with its melody replaced by the tune's first `notes` notes (in its own beats)."""
    melody = next(p for p in tokens.parts if p.name == "melody")
    start = min(n.start_beat for n in melody.notes)
    qpb = tokens.quarters_per_beat
    first = tune.parts["melody"][0][0]
    copied = [
        NoteEvent(int(pitch) + 2, start + (onset - first) / qpb, duration / qpb, 90)
        for onset, duration, pitch in tune.parts["melody"][:notes]
    ]
    parts = [replace(p, notes=copied) if p is melody else p for p in tokens.parts]
    return replace(tokens, parts=parts)


def test_a_copied_tune_is_flagged_with_its_name(composed, training_tune):
    plan, tokens = composed
    copied = check_score(_copying(tokens, training_tune), plan.key)
    assert copied.verdict == "copy" and copied.longest_match_tune == training_tune.title
    assert copied.longest_match_notes >= thresholds_of(known_pieces())["copy_notes"]
    assert copied.line().startswith(
        f"copy: {copied.longest_match_notes} notes in a row are those of {training_tune.title}"
    )
    own = check_score(tokens, plan.key)
    assert own.verdict == "original" and own.line().startswith("original: ")


def test_a_flagged_take_is_written_again_and_the_report_keeps_both_checks(composed, training_tune):
    plan, tokens = composed
    said = []
    kept, records = checked_takes([plan], [4], [_copying(tokens, training_tune)], lambda i, seed: tokens, said.append)
    (record,) = records
    assert kept[0] is tokens and [c["verdict"] for c in record["checks"]] == ["copy", "original"]
    assert record["checks"][0]["decoder_seed"] == 4 and record["checks"][1]["decoder_seed"] != 4
    assert "warning" not in record and len(said) == 1 and training_tune.title in said[0]
    assert "written again 1 time" in originality_note(record)
    stubborn = _copying(tokens, training_tune)
    _, (record,) = checked_takes([plan], [4], [stubborn], lambda i, seed: stubborn)
    assert len(record["checks"]) == MAX_RETRIES + 1 and record["verdict"] == "copy"
    assert "Try another seed" in record["warning"] and "⚠️" in originality_note(record)


@pytest.mark.parametrize(
    "decoder, prompt",
    [
        ("composer", "a folk tune for a hike"),
        ("composer", "calm piano for a vlog"),
        ("symbolic-transformer", "a celtic reel"),
        ("symbolic-lstm", "a waltz"),
    ],
)
def test_ordinary_takes_pass_and_the_report_says_so(decoder, prompt):
    from mmgen.pipeline import generate_variations

    (track,) = generate_variations(GenerationRequest(prompt=prompt, duration_s=12, seed=2, decoder=decoder))
    record = track.report()["originality"]
    assert record["verdict"] != "copy" and record["line"].startswith(record["verdict"])
    assert len(record["checks"]) == 1 and "originality" in track.timings_s


def test_a_common_progression_is_not_a_copy():
    import random

    from mmgen.symbolic.piece import Piece

    rng = random.Random(5)
    loop = [[0, 4, 7], [7, 11, 14], [9, 12, 16], [5, 9, 12]]  # I–V–vi–IV in C, eight times over
    chords = [[4.0 * bar, 4.0, 48 + p] for bar in range(32) for p in loop[bar % 4]]
    pitch, melody = 72, []
    for i in range(96):  # a wandering line of its own
        pitch = min(88, max(60, pitch + rng.choice([-7, -5, -3, 4, 5, 8, 9])))
        melody.append([1.0 * i + (0.5 if i % 3 == 2 else 0.0), 0.5, pitch])
    result = check_piece(Piece("test", "pop loop", "4/4", 0, "major", 4.0, {"melody": melody, "chords": chords}))
    assert result.chord_match_steps < thresholds_of(known_pieces())["similar_chords"]
    assert result.verdict == "original"


def test_the_check_command(composed, training_tune, tmp_path, capsys):
    from mmgen.cli import main

    _, tokens = composed
    copy = tmp_path / "copy.mid"
    _copying(tokens, training_tune).to_midi().write(str(copy))
    assert main(["check", str(copy), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["verdict"] == "copy" and training_tune.title in (said["nearest"], said["longest_match_tune"])
    assert said["longest_match_notes"] >= 16 and 0 <= said["similarity"] <= 1
    own = tmp_path / "own.mid"
    tokens.to_midi().write(str(own))
    assert main(["check", str(own)]) == 0 and capsys.readouterr().out.startswith("original: ")
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"not a midi file")
    assert main(["check", str(broken)]) == 2
    assert capsys.readouterr().err.strip() == "mmgen: I can't read 'broken.mid' as a MIDI file."
    assert main(["check", str(tmp_path / "song.txt")]) == 2
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    assert main(["check", str(tmp_path / "a.wav")]) == 2 and "--library" in capsys.readouterr().err


def test_a_folder_trained_on_is_indexed_and_checked_against(composed, tmp_path, monkeypatch):
    import argparse

    from mmgen.originality.features import midi_file_piece
    from mmgen.training.runs import run_from_arguments

    monkeypatch.setenv("MMGEN_DATA_DIR", str(tmp_path / "data"))
    _, tokens = composed
    folder = tmp_path / "my-midi"
    folder.mkdir()
    tokens.to_midi().write(str(folder / "my reel.mid"))
    try:
        args = argparse.Namespace(threads=0, collections="", midi_folder=str(folder))
        run_from_arguments(argparse.ArgumentParser(), args, lambda collections, pieces: {"pieces": len(pieces)})
        assert "my reel" in known_pieces().titles
        result = check_piece(midi_file_piece(folder / "my reel.mid"))
        assert result.verdict == "copy" and result.longest_match_tune == "my reel"
    finally:
        monkeypatch.undo()
        known_pieces.cache_clear()


def test_an_audio_take_is_compared_with_earlier_takes_and_a_reference_folder(tmp_path, monkeypatch, capsys):
    """The record the app and `generate --reference` give an audio engine's take: its own earlier
    file is found as a copy, a folder of other music is not."""
    from mmgen.cli import main
    from mmgen.originality.takes import check_audio_take, originality_note
    from mmgen.pipeline import generate

    monkeypatch.setenv("MMGEN_DATA_DIR", str(tmp_path / "data"))  # the features' cache
    track = generate(GenerationRequest(prompt="upbeat pop for a product video", duration_s=12, seed=3))
    earlier = track.save(tmp_path / "earlier.wav")
    record = check_audio_take(track, library_files=[earlier])
    assert record["verdict"] == "copy" and record["nearest"] == "earlier.wav" and record["source"] == "library"
    assert originality_note(record).startswith("**Originality:** copy: nearest in your library: earlier.wav")
    other = tmp_path / "catalogue"
    other.mkdir()
    generate(GenerationRequest(prompt="a slow sad cello in D minor", duration_s=12, seed=9)).save(other / "cello.wav")
    assert check_audio_take(track, reference=other)["verdict"] != "copy"
    assert main(["check", str(earlier), "--library", str(other), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["nearest"] == "cello.wav" and said["verdict"] != "copy" and said["longest_match_notes"] is None
    assert main(["generate", "--duration", "5", "--out", str(tmp_path / "x.wav"), "--reference", "/no/such"]) == 2
