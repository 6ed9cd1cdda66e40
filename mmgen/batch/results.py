"""The results manifest (one line per manifest row, CSV or JSON Lines), the progress bar and the
summary at the end."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..post.export import write_bytes

COLUMNS = (
    "line",
    "id",
    "status",  # made | skipped (made already) | failed | invalid (the row as written) | pending
    "files",
    "duration_s",
    "loudness_lufs",
    "key",  # heard in the audio
    "tempo_bpm",  # heard in the audio
    "planned_key",
    "planned_tempo_bpm",
    "engine",
    "seed",
    "time_s",
    "peak_memory_mb",
    "worker",  # host:process
    "ran_on",  # cpu | gpu: the kind of worker
    "error",
)
# what a made row's results line carries from its making (kept in its report: outputs.py)
RESULT_FIELDS = tuple(c for c in COLUMNS if c not in ("line", "id", "status", "files", "error"))


@dataclass
class Results:
    """Every row's line, kept in manifest order and rewritten (atomically) as rows finish."""

    path: Path
    lines: dict[int, dict] = field(default_factory=dict)

    def set(self, line: int, row_id: str, status: str, **values) -> dict:
        entry = {"line": line, "id": row_id, "status": status, **values}
        self.lines[line] = entry
        return entry

    def count(self, status: str) -> int:
        return sum(entry["status"] == status for entry in self.lines.values())

    def save(self) -> None:
        entries = [self.lines[line] for line in sorted(self.lines)]
        if self.path.suffix.lower() == ".csv":
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for entry in entries:
                writer.writerow({**entry, "files": " ".join(entry.get("files") or [])})
            data = text.getvalue()
        else:
            data = "".join(
                json.dumps({k: entry.get(k) for k in COLUMNS}, ensure_ascii=False) + "\n" for entry in entries
            )
        write_bytes(self.path, data.encode("utf-8"))


class Progress:
    """`[#####.....] 12/40 made 10, skipped 1, failed 1  1 min 10 s, about 3 min left` on stderr:
    one line redrawn on a terminal, a line per row elsewhere (a log)."""

    def __init__(self, total: int, show: bool = True) -> None:
        self.total, self.done, self.show = total, 0, show
        self.started = time.monotonic()
        self.terminal = sys.stderr.isatty()

    def advance(self, results: Results, note: str = "") -> None:
        self.done += 1
        if not self.show:
            return
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        filled = int(24 * self.done / max(1, self.total))
        counts = ", ".join(
            f"{status} {results.count(status)}"
            for status in ("made", "skipped", "failed", "invalid")
            if results.count(status)
        )
        eta = f", about {duration_words(left)} left" if self.done < self.total else ""
        line = (
            f"[{'#' * filled}{'.' * (24 - filled)}] {self.done}/{self.total} {counts}  {duration_words(elapsed)}{eta}"
        )
        if self.terminal:
            end = "\n" if self.done == self.total else ""
            print(f"\r{line}\033[K", end=end, file=sys.stderr, flush=True)
        else:
            print(f"{line}{'  ' + note if note else ''}", file=sys.stderr, flush=True)


def duration_words(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
