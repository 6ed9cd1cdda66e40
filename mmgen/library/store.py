"""The track library: every track kept with what made it, and what its maker thought of it.

One SQLite file (WAL mode, so readers never wait for a writer) in the data folder, its schema
versioned by `PRAGMA user_version` and brought up to date by MIGRATIONS on open. Each library id
(an anonymous browser id, or a signed-in user) sees and deletes only its own tracks. The track's
files are copied under the data folder; past `max_bytes` the oldest tracks' files are pruned and
their rows kept (with the request, plan and seed, a track can be made again).

This module is the only one that speaks SQL: a server database would take its place here.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import InvalidRequest, Unavailable

DB_NAME = "library.sqlite3"
DEFAULT_MAX_MB = 2048  # MMGEN_LIBRARY_MAX_MB: the files kept, all libraries together
BUSY_TIMEOUT_MS = 5000  # a writer waits this long for another before the library is called busy
RATINGS = ("like", "dislike")

# Each entry takes the schema from version i to i + 1; a new version appends one, never edits one.
MIGRATIONS: tuple[str, ...] = (
    # 1: the tracks
    """
    CREATE TABLE tracks (
        id TEXT PRIMARY KEY,
        library TEXT NOT NULL,
        created_s REAL NOT NULL,
        prompt TEXT NOT NULL,
        engine TEXT NOT NULL,
        seed INTEGER,
        duration_s REAL,
        report TEXT NOT NULL,
        summary TEXT NOT NULL,
        files TEXT NOT NULL
    );
    CREATE INDEX tracks_by_library ON tracks (library, created_s);
    """,
    # 2: ratings, and files that were pruned while the row stays
    """
    ALTER TABLE tracks ADD COLUMN files_pruned INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tracks ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE ratings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        library TEXT NOT NULL,
        created_s REAL NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('like', 'dislike', 'prefer')),
        track TEXT NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
        over_track TEXT REFERENCES tracks (id) ON DELETE CASCADE
    );
    CREATE INDEX ratings_by_library ON ratings (library, created_s);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# a track's columns and its latest like or dislike
WITH_RATING = (
    "t.*, (SELECT kind FROM ratings r WHERE r.track = t.id AND r.kind != 'prefer' ORDER BY r.id DESC LIMIT 1) AS rating"
)


class LibraryUnavailable(Unavailable):
    """The library's database cannot be used (corrupt, locked, read-only): tracks are still made."""


@dataclass
class TrackRecord:
    """One kept track. `report`: Track.report() (request, plan, seed, measurements); `files`:
    paths under the data folder (empty once pruned)."""

    id: str
    library: str
    created_s: float
    prompt: str
    engine: str
    seed: int | None
    duration_s: float | None
    report: dict
    summary: str
    files: list[str] = field(default_factory=list)
    files_pruned: bool = False
    rating: str | None = None  # "like" | "dislike" | None: the latest of its library's


def data_folder() -> Path:
    """MMGEN_DATA_DIR; else /data/mmgen on a Space with persistent storage (/data writable); else
    ~/.local/share/mmgen."""
    chosen = os.environ.get("MMGEN_DATA_DIR")
    if chosen:
        return Path(chosen).expanduser()
    if os.path.isdir("/data") and os.access("/data", os.W_OK):
        return Path("/data/mmgen")
    return Path.home() / ".local" / "share" / "mmgen"


def _checked_library(library: str) -> str:
    if not isinstance(library, str) or not 8 <= len(library) <= 128 or not library.isprintable():
        raise InvalidRequest("This browser's library id is not valid; reload the page to get a new one.")
    return library


class Library:
    """The library in `folder` (default data_folder()). Safe to share between threads: every
    call opens its own connection."""

    def __init__(
        self, folder: str | Path | None = None, max_bytes: int | None = None, busy_timeout_ms: int = BUSY_TIMEOUT_MS
    ) -> None:
        self.busy_timeout_ms = busy_timeout_ms
        self.folder = Path(folder) if folder is not None else data_folder()
        self.files_folder = self.folder / "files"
        self.path = self.folder / DB_NAME
        limit_mb = float(os.environ.get("MMGEN_LIBRARY_MAX_MB", DEFAULT_MAX_MB))
        self.max_bytes = int(max_bytes if max_bytes is not None else limit_mb * 2**20)
        try:
            self.files_folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LibraryUnavailable(
                f"The track library's folder {self.folder} cannot be used: {error.strerror}."
            ) from None
        with self._connection() as db:
            self._migrate(db)

    # ---- the database ---------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction, committed on success; sqlite's errors become one plain
        LibraryUnavailable."""
        db = None
        try:
            db = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException as error:
            if db is not None and db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise LibraryUnavailable(_plain(error, self.path)) from None
            raise
        finally:
            if db is not None:
                db.close()

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"it was written by a newer mmgen (schema {version}, this one knows {SCHEMA_VERSION})"
            )
        for number in range(version, SCHEMA_VERSION):
            for statement in filter(str.strip, MIGRATIONS[number].split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1}")

    @property
    def schema_version(self) -> int:
        with self._connection() as db:
            return db.execute("PRAGMA user_version").fetchone()[0]

    # ---- tracks ---------------------------------------------------------------------------

    def add(self, library: str, report: dict, files: list[str | Path], summary: str = "") -> TrackRecord:
        """Keep a made track: `report` is Track.report(); `files` are copied into the library."""
        library = _checked_library(library)
        track_id = uuid.uuid4().hex
        target = self.files_folder / track_id
        target.mkdir()
        kept, size = [], 0
        try:
            for source in map(Path, files):
                copied = target / source.name
                shutil.copyfile(source, copied)
                kept.append(str(copied))
                size += copied.stat().st_size
            request = report.get("request", {})
            record = TrackRecord(
                id=track_id,
                library=library,
                created_s=time.time(),
                prompt=str(request.get("prompt") or ""),
                engine=str(report.get("decoder") or request.get("decoder") or ""),
                seed=report.get("seed"),
                duration_s=(report.get("output") or {}).get("duration_s"),
                report=report,
                summary=summary,
                files=kept,
            )
            with self._connection() as db:
                db.execute(
                    "INSERT INTO tracks (id, library, created_s, prompt, engine, seed, duration_s, report, summary,"
                    " files, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.id,
                        library,
                        record.created_s,
                        record.prompt,
                        record.engine,
                        record.seed,
                        record.duration_s,
                        json.dumps(report, ensure_ascii=False),
                        summary,
                        json.dumps(kept),
                        size,
                    ),
                )
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)  # nothing half-kept
            raise
        self.prune()
        return record

    def tracks(self, library: str, limit: int = 100) -> list[TrackRecord]:
        """This library's tracks, newest first, each with its latest like or dislike."""
        library = _checked_library(library)
        with self._connection() as db:
            rows = db.execute(
                f"SELECT {WITH_RATING} FROM tracks t WHERE t.library = ?"
                " ORDER BY t.created_s DESC, t.rowid DESC LIMIT ?",
                (library, int(limit)),
            ).fetchall()
        return [_record(row) for row in rows]

    def count(self, library: str) -> int:
        """How many tracks this library holds."""
        library = _checked_library(library)
        with self._connection() as db:
            return int(db.execute("SELECT COUNT(*) FROM tracks WHERE library = ?", (library,)).fetchone()[0])

    def get(self, library: str, track_id: str) -> TrackRecord | None:
        """The track, if it is this library's (another library's track is None, as if absent)."""
        library = _checked_library(library)
        with self._connection() as db:
            row = db.execute(
                f"SELECT {WITH_RATING} FROM tracks t WHERE t.id = ? AND t.library = ?",
                (str(track_id), library),
            ).fetchone()
        return _record(row) if row else None

    def delete(self, library: str, track_id: str) -> bool:
        """Delete this library's track, its files and its ratings; False when it has no such track."""
        library = _checked_library(library)
        with self._connection() as db:
            gone = db.execute("DELETE FROM tracks WHERE id = ? AND library = ?", (track_id, library)).rowcount
        if gone:
            shutil.rmtree(self.files_folder / Path(track_id).name, ignore_errors=True)
        return bool(gone)

    # ---- ratings --------------------------------------------------------------------------

    def rate(self, library: str, track_id: str, rating: str) -> None:
        """A like or dislike of one of this library's tracks (the latest one counts)."""
        if rating not in RATINGS:
            raise InvalidRequest(f"A rating is 'like' or 'dislike', not {rating!r}.")
        self._rating(library, rating, track_id, None)

    def prefer(self, library: str, better_id: str, worse_id: str) -> None:
        """Of two of this library's takes, `better_id` was picked over `worse_id`."""
        if better_id == worse_id:
            raise InvalidRequest("Pick one of two different takes.")
        self._rating(library, "prefer", better_id, worse_id)

    def _rating(self, library: str, kind: str, track_id: str, over: str | None) -> None:
        library = _checked_library(library)
        with self._connection() as db:
            wanted = [track_id] + ([over] if over else [])
            found = db.execute(
                f"SELECT COUNT(*) FROM tracks WHERE library = ? AND id IN ({','.join('?' * len(wanted))})",
                (library, *wanted),
            ).fetchone()[0]
            if found != len(wanted):
                raise InvalidRequest("That track is not in your library (it may have been deleted).")
            db.execute(
                "INSERT INTO ratings (library, created_s, kind, track, over_track) VALUES (?, ?, ?, ?, ?)",
                (library, time.time(), kind, track_id, over),
            )

    def ratings(self, library: str | None = None) -> list[dict]:
        """Ratings, oldest first (all libraries when None: the training data of the reward model)."""
        query = "SELECT library, created_s, kind, track, over_track FROM ratings"
        with self._connection() as db:
            if library is None:
                rows = db.execute(query + " ORDER BY id").fetchall()
            else:
                rows = db.execute(query + " WHERE library = ? ORDER BY id", (_checked_library(library),)).fetchall()
        return [dict(row) for row in rows]

    # ---- export and import ----------------------------------------------------------------

    def export_jsonl(self, library: str, path: str | Path) -> Path:
        """This library's tracks (without their audio) and ratings, one JSON object a line."""
        target = Path(path)
        lines = [json.dumps({"track": _exported(t)}, ensure_ascii=False) for t in reversed(self.tracks(library, 10**9))]
        lines += [json.dumps({"rating": rating}, ensure_ascii=False) for rating in self.ratings(library)]
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        os.replace(tmp, target)
        return target

    def import_jsonl(self, library: str, path: str | Path) -> tuple[int, int]:
        """Tracks and ratings from export_jsonl into `library` (rows only: the audio stays where it
        was); tracks already here are skipped. All or nothing. Returns (tracks, ratings) added."""
        library = _checked_library(library)
        tracks, ratings = [], []
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if "track" in item:
                    tracks.append(
                        TrackRecord(**{**item["track"], "library": library, "files": [], "files_pruned": True})
                    )
                else:
                    ratings.append(dict(item["rating"]))
            except (ValueError, TypeError, KeyError):
                raise InvalidRequest(
                    f"Line {number} of {Path(path).name} is not a track or a rating from mmgen."
                ) from None
        with self._connection() as db:
            known = {row[0] for row in db.execute("SELECT id FROM tracks")}
            added = [t for t in tracks if t.id not in known]
            for t in added:
                db.execute(
                    "INSERT INTO tracks (id, library, created_s, prompt, engine, seed, duration_s, report, summary,"
                    " files, files_pruned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', 1)",
                    (
                        t.id,
                        library,
                        t.created_s,
                        t.prompt,
                        t.engine,
                        t.seed,
                        t.duration_s,
                        json.dumps(t.report),
                        t.summary,
                    ),
                )
            mine = known | {t.id for t in added}
            kept = [r for r in ratings if r.get("track") in mine and r.get("over_track") in (None, *mine)]
            for r in kept:
                db.execute(
                    "INSERT INTO ratings (library, created_s, kind, track, over_track) VALUES (?, ?, ?, ?, ?)",
                    (library, float(r.get("created_s") or time.time()), r["kind"], r["track"], r.get("over_track")),
                )
        return len(added), len(kept)

    # ---- storage --------------------------------------------------------------------------

    def stored_bytes(self) -> int:
        with self._connection() as db:
            return int(db.execute("SELECT COALESCE(SUM(bytes), 0) FROM tracks").fetchone()[0])

    def prune(self) -> int:
        """Delete the oldest tracks' files until the kept files fit `max_bytes`; their rows stay.
        Returns how many tracks lost their files."""
        with self._connection() as db:
            total = int(db.execute("SELECT COALESCE(SUM(bytes), 0) FROM tracks").fetchone()[0])
            pruned = []
            for row in db.execute("SELECT id, bytes FROM tracks WHERE bytes > 0 ORDER BY created_s, rowid"):
                if total <= self.max_bytes:
                    break
                pruned.append(row["id"])
                total -= row["bytes"]
            for track_id in pruned:
                db.execute("UPDATE tracks SET files = '[]', files_pruned = 1, bytes = 0 WHERE id = ?", (track_id,))
        for track_id in pruned:
            shutil.rmtree(self.files_folder / track_id, ignore_errors=True)
        return len(pruned)


def _record(row: sqlite3.Row) -> TrackRecord:
    return TrackRecord(
        id=row["id"],
        library=row["library"],
        created_s=row["created_s"],
        prompt=row["prompt"],
        engine=row["engine"],
        seed=row["seed"],
        duration_s=row["duration_s"],
        report=json.loads(row["report"]),
        summary=row["summary"],
        files=json.loads(row["files"]),
        files_pruned=bool(row["files_pruned"]),
        rating=row["rating"],
    )


def _exported(record: TrackRecord) -> dict:
    data = asdict(record)
    for private in ("library", "files", "files_pruned", "rating"):
        data.pop(private)
    return data


def _plain(error: sqlite3.Error, path: Path) -> str:
    """sqlite's error as one sentence for the user."""
    text = str(error)
    if "locked" in text or "busy" in text:
        why = "another program is holding it locked"
    elif "not a database" in text or "malformed" in text or "newer mmgen" in text:
        why = f"the file is damaged or not mmgen's ({text})"
    elif "readonly" in text or "read-only" in text:
        why = "it is read-only"
    else:
        why = text
    return f"Your track library ({path}) cannot be used: {why}. Tracks are still made, but not kept."
