"""The track library's database (mmgen/library/store.py): how many tracks a second it keeps with
several writers at once, and how large it grows per 1,000 tracks.

Each write is Library.add() of a real report (Track.report() of a 10 s composer track, about
4 KB of JSON) without audio files (their copies cost what the disk costs, not the database),
from `--writers` threads at once, each with its own connection, as the app's workers are. Then
the file's size after a WAL checkpoint, per 1,000 tracks, and reading one library's newest 20.

    python benchmarks/library.py [--tracks 2000] [--writers 4]

Last line: writes_per_s=<n> kb_per_1000_tracks=<n> read_20_ms=<n>
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from mmgen import GenerationRequest, generate
    from mmgen.library import Library
    from mmgen.library.store import DB_NAME

    report = generate(GenerationRequest(prompt="lofi beat for a cooking video", duration_s=10, seed=1)).report()
    per_writer = args.tracks // args.writers
    with tempfile.TemporaryDirectory() as folder:
        Library(folder)

        def write(k: int) -> None:
            store = Library(folder)
            for i in range(per_writer):
                store.add(f"library-{k:04d}-{i % 50:04d}", report, [])

        writers = [threading.Thread(target=write, args=(k,)) for k in range(args.writers)]
        started = time.perf_counter()
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        elapsed = time.perf_counter() - started
        written = per_writer * args.writers
        with sqlite3.connect(Path(folder) / DB_NAME) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = (Path(folder) / DB_NAME).stat().st_size
        store = Library(folder)
        started = time.perf_counter()
        for _ in range(20):
            assert store.tracks("library-0000-0000", 20)
        read_ms = (time.perf_counter() - started) / 20 * 1000
    print(f"tracks={written} writers={args.writers} seconds={elapsed:.2f} report_bytes={len(str(report))}")
    print(f"writes_per_s={written / elapsed:.0f} kb_per_1000_tracks={size / written:.0f} read_20_ms={read_ms:.1f}")


if __name__ == "__main__":
    main()
