"""The track library (mmgen/library/store.py) on a real SQLite file: tracks kept per library,
concurrent writers, the migration from the first schema, ratings, export and import, pruning,
and plain messages for a damaged or locked file."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from mmgen.errors import InvalidRequest
from mmgen.library import SCHEMA_VERSION, Library, LibraryUnavailable
from mmgen.library.store import DB_NAME, MIGRATIONS

ALICE, BOB = "alice-0123456789", "bob-0123456789ab"


def report(prompt: str = "lofi beat", seed: int = 1) -> dict:
    return {
        "request": {"prompt": prompt, "decoder": "composer"},
        "seed": seed,
        "decoder": "composer",
        "plan": {"tempo_bpm": 80.0, "style": "lo-fi hip hop"},
        "output": {"duration_s": 12.0, "loudness_lufs": -14.0},
    }


@pytest.fixture
def audio_file(tmp_path):
    path = tmp_path / "made" / "lofi-1.wav"
    path.parent.mkdir()
    path.write_bytes(b"RIFF" + bytes(4000))
    return path


def test_a_track_is_kept_with_what_made_it_and_only_its_library_sees_it(tmp_path, audio_file):
    library = Library(tmp_path / "data")
    kept = library.add(ALICE, report(), [audio_file], summary="Style: lo-fi")
    audio_file.unlink()  # the app's results folder is pruned: the library has its own copy
    again = Library(tmp_path / "data")  # a restart
    (track,) = again.tracks(ALICE)
    assert track.id == kept.id and track.prompt == "lofi beat" and track.seed == 1 and track.engine == "composer"
    assert track.report["plan"]["tempo_bpm"] == 80.0 and track.summary == "Style: lo-fi"
    assert Path(track.files[0]).read_bytes()[:4] == b"RIFF"
    assert again.tracks(BOB) == [] and again.get(BOB, kept.id) is None
    assert not again.delete(BOB, kept.id)  # another library cannot delete it
    with pytest.raises(InvalidRequest, match="not in your library"):
        again.rate(BOB, kept.id, "like")
    assert again.delete(ALICE, kept.id) and again.tracks(ALICE) == []
    assert not (tmp_path / "data" / "files" / kept.id).exists()


def _add_many(folder: str, library: str, count: int) -> None:
    store = Library(folder)
    for k in range(count):
        store.add(library, report(f"take {k}", k), [])


def test_concurrent_writers_lose_nothing(tmp_path):
    """Threads (as the app's workers) and processes (as several app servers) at once."""
    folder = str(tmp_path / "data")
    Library(folder)
    threads = [threading.Thread(target=_add_many, args=(folder, f"thread-library-{i}", 25)) for i in range(6)]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_add_many, args=(folder, f"process-library-{i}", 25)) for i in range(2)]
    for worker in [*threads, *processes]:
        worker.start()
    for worker in [*threads, *processes]:
        worker.join(timeout=120)
    assert all(p.exitcode == 0 for p in processes)
    store = Library(folder)
    for name in [f"thread-library-{i}" for i in range(6)] + [f"process-library-{i}" for i in range(2)]:
        assert sorted(t.seed for t in store.tracks(name)) == list(range(25))
    with sqlite3.connect(tmp_path / "data" / DB_NAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_first_schema_is_migrated_keeping_every_row(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    with sqlite3.connect(folder / DB_NAME) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        for k in range(3):
            db.execute(
                "INSERT INTO tracks VALUES (?, ?, ?, ?, 'composer', ?, 12.0, ?, '', '[]')",
                (f"old-{k}", ALICE, 1000.0 + k, f"old take {k}", k, json.dumps(report(f"old take {k}", k))),
            )
    library = Library(folder)
    assert library.schema_version == SCHEMA_VERSION
    assert [t.prompt for t in library.tracks(ALICE)] == ["old take 2", "old take 1", "old take 0"]
    library.rate(ALICE, "old-1", "like")  # and the new tables work on the old rows
    assert library.tracks(ALICE)[1].rating == "like"


def test_ratings_likes_and_picks(tmp_path):
    library = Library(tmp_path / "data")
    first, second = (library.add(ALICE, report(seed=s), []) for s in (1, 2))
    library.rate(ALICE, first.id, "dislike")
    library.rate(ALICE, first.id, "like")  # changed their mind: the latest counts
    library.prefer(ALICE, second.id, first.id)
    assert {t.id: t.rating for t in library.tracks(ALICE)} == {first.id: "like", second.id: None}
    kinds = [(r["kind"], r["track"], r["over_track"]) for r in library.ratings(ALICE)]
    assert kinds == [("dislike", first.id, None), ("like", first.id, None), ("prefer", second.id, first.id)]
    with pytest.raises(InvalidRequest, match="'like' or 'dislike'"):
        library.rate(ALICE, first.id, "meh")
    with pytest.raises(InvalidRequest, match="two different takes"):
        library.prefer(ALICE, first.id, first.id)
    library.delete(ALICE, second.id)  # its ratings go with it
    assert [r["kind"] for r in library.ratings(ALICE)] == ["dislike", "like"]


def test_export_and_import_as_jsonl(tmp_path):
    library = Library(tmp_path / "data")
    first, second = (library.add(ALICE, report(f"take {s}", s), []) for s in (1, 2))
    library.prefer(ALICE, first.id, second.id)
    exported = library.export_jsonl(ALICE, tmp_path / "alice.jsonl")
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [next(iter(line)) for line in lines] == ["track", "track", "rating"]
    elsewhere = Library(tmp_path / "other")
    assert elsewhere.import_jsonl(BOB, exported) == (2, 1)
    assert elsewhere.import_jsonl(BOB, exported) == (0, 1)  # tracks are not doubled
    assert [t.prompt for t in elsewhere.tracks(BOB)] == ["take 2", "take 1"]
    assert all(t.files_pruned for t in elsewhere.tracks(BOB))  # rows only: the audio stayed behind
    (tmp_path / "bad.jsonl").write_text('{"track": {"id": "x"}}\nnot json\n')
    with pytest.raises(InvalidRequest, match=r"Line 1 of bad\.jsonl"):
        elsewhere.import_jsonl(BOB, tmp_path / "bad.jsonl")
    assert len(elsewhere.tracks(BOB)) == 2  # all or nothing


def test_storage_is_bounded_by_pruning_the_oldest_files(tmp_path, audio_file):
    library = Library(tmp_path / "data", max_bytes=10_000)
    kept = [library.add(ALICE, report(seed=k), [audio_file]) for k in range(4)]  # 4,004 bytes each
    assert library.stored_bytes() <= 10_000
    tracks = {t.id: t for t in library.tracks(ALICE)}
    assert [tracks[k.id].files_pruned for k in kept] == [True, True, False, False]
    assert tracks[kept[0].id].files == [] and not (tmp_path / "data" / "files" / kept[0].id).exists()
    assert tracks[kept[0].id].report["seed"] == 0  # the row stays: the track can be made again


def test_a_damaged_or_locked_file_gets_a_plain_message(tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / DB_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(LibraryUnavailable, match=r"damaged or not mmgen's.*Tracks are still made"):
        Library(damaged)

    library = Library(tmp_path / "locked", busy_timeout_ms=200)
    holder = sqlite3.connect(tmp_path / "locked" / DB_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(LibraryUnavailable, match="holding it locked"):
            library.add(ALICE, report(), [])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not any((tmp_path / "locked" / "files").iterdir())  # nothing half-kept
    library.add(ALICE, report(), [])  # and it works again once released

    with sqlite3.connect(tmp_path / "locked" / DB_NAME) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LibraryUnavailable, match="newer mmgen"):
        Library(tmp_path / "locked")


def test_a_library_id_must_be_sound(tmp_path):
    library = Library(tmp_path / "data")
    for wrong in ("", "short", "x" * 200, "tab\there-and-long"):
        with pytest.raises(InvalidRequest, match="library id"):
            library.tracks(wrong)
