"""The batch's folder: which rows are made already, and writing a made row so that no file is ever
half-written under its final name.

Each file is written beside its final name as `.mmgen-*` and renamed into place (a rename within
a folder is atomic); the row's report is written last and names the row's hash and files. A row
is made when its report carries the same hash and every file it names is there. Temporary files
left by a batch that was killed are removed when the next one starts.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from pathlib import Path

from ..errors import InvalidRequest
from ..post.export import PARTIAL_PREFIX, write_bytes
from .manifest import BatchRow
from .results import RESULT_FIELDS

LOCK_NAME = ".mmgen-batch.lock"


def lock_folder(folder: Path):
    """Hold the folder for this batch (released when the process ends, however it ends)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / LOCK_NAME, "a")  # noqa: SIM115 -- held open until the batch ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise InvalidRequest(f"Another batch is writing to '{folder}'; wait for it or choose another --out.") from None
    return handle


def remove_partials(folder: Path) -> int:
    """Delete the temporary files an interrupted batch left (the lock file stays)."""
    removed = 0
    for path in folder.rglob(f"{PARTIAL_PREFIX}*"):
        if path.name != LOCK_NAME and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def previous_report(row: BatchRow, folder: Path) -> dict | None:
    """The row's report when the row is made already: the same hash, and all its files there."""
    try:
        report = json.loads((folder / row.report_name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    batch = report.get("batch") if isinstance(report, dict) else None
    if not isinstance(batch, dict) or batch.get("hash") != row.digest:
        return None
    names = batch.get("files")
    if not isinstance(names, list) or not all(isinstance(n, str) and (folder / n).is_file() for n in names):
        return None
    return report


def write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(target, data)


def commit(row: BatchRow, made: dict, folder: Path) -> list[str]:
    """Write a made row's files, then its report (the proof it is done). Returns the file names."""
    files: dict[str, bytes] = made["files"]
    stems = folder / f"{row.row_id}-stems"
    if row.stems and stems.is_dir():  # a remade row's stems replace the old ones, none left over
        shutil.rmtree(stems)
    for name, data in files.items():
        write_atomically(folder / name, data)
    report = dict(made["report"])
    report["batch"] = {
        "hash": row.digest,
        "line": row.line,
        "id": row.row_id,
        "files": sorted(files),
        "results": {k: made[k] for k in RESULT_FIELDS if k in made},
    }
    write_atomically(folder / row.report_name, json.dumps(report, indent=2, ensure_ascii=False).encode())
    return sorted(files)
