"""Making one row, wherever it runs: on a Ray worker of this machine or of a cluster.

A worker writes nothing where the batch's files go. It makes the track in a private temporary
folder and hands back the files' bytes; the machine that runs the batch writes them (outputs.py).
So a cluster needs no shared disk, and a worker that dies leaves nothing behind.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ..errors import MmgenError
from .manifest import BatchRow


def _peak_memory_mb() -> float:
    """This process's peak resident memory so far (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if platform.system() == "Darwin" else 1 << 10), 1)


def _local_inputs(row: BatchRow, blobs: dict[str, bytes] | None, folder: Path) -> BatchRow:
    """The row with its input files where this worker can read them: as they are (one machine), or
    written from the bytes the batch sent (a cluster)."""
    if not blobs:
        return row
    paths = {}
    for name, data in blobs.items():
        local = folder / "inputs" / name / Path(row.inputs[name]).name
        local.parent.mkdir(parents=True)
        local.write_bytes(data)
        paths[name] = str(local)
    return replace(row, request=replace(row.request, **paths))


def _measured(track) -> dict:
    """Duration, loudness, and the key and tempo heard in the audio (not the plan's)."""
    from ..eval import metrics

    heard = dict(track.details.get("measured") or {})
    audio = track.audio
    if "key" not in heard:
        heard["key"] = metrics.estimate_key(audio.samples, audio.sample_rate_hz)[0].name
    if "tempo_bpm" not in heard:
        heard["tempo_bpm"] = round(metrics.tempo_bpm(audio.samples, audio.sample_rate_hz), 2)
    return {
        "duration_s": round(audio.duration_s, 3),
        "loudness_lufs": round(float(track.mastering.loudness_lufs), 2),
        "key": heard["key"],
        "tempo_bpm": heard["tempo_bpm"],
        "planned_key": track.plan.key.name,
        "planned_tempo_bpm": round(track.plan.tempo_bpm, 2),
    }


def _write_outputs(track, row: BatchRow, folder: Path) -> None:
    if row.stems:
        track.save_stems(folder / f"{row.row_id}-stems")
    if row.game_kit:
        from ..gamekit import build_game_kit

        build_game_kit(track).save(folder / f"{row.row_id}-kit.zip")
    for suffix in row.formats:
        track.save(folder / f"{row.row_id}.{suffix}")


def make_row(row: BatchRow, blobs: dict[str, bytes] | None = None) -> dict:
    """Make one row: {"status": "made", "files": {name: bytes}, "report": {...}, measured values...}
    or {"status": "failed", "error": a plain sentence}. Never raises for a row's own trouble."""
    started = time.perf_counter()
    from ..pipeline import generate_variations

    work = Path(tempfile.mkdtemp(prefix="mmgen-batch-"))
    result = {"worker": f"{platform.node()}:{os.getpid()}"}
    try:
        local = _local_inputs(row, blobs, work)
        track = generate_variations(local.request)[0]
        made = work / "made"
        made.mkdir()
        _write_outputs(track, row, made)
        files = {str(p.relative_to(made)): p.read_bytes() for p in sorted(made.rglob("*")) if p.is_file()}
        result.update(status="made", files=files, report=track.report(), engine=track.decoder, **_measured(track))
        result["seed"] = track.request.seed
    except MmgenError as error:
        result.update(status="failed", error=str(error))
    except Exception as error:  # a bug, not the row's fault: still one sentence in the results
        result.update(status="failed", error=f"something went wrong inside mmgen ({type(error).__name__}: {error})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.update(time_s=round(time.perf_counter() - started, 3), peak_memory_mb=_peak_memory_mb())
    return result


class RowMaker:
    """A worker that keeps its models loaded between rows (a Ray actor: runner.py)."""

    def __init__(self) -> None:
        from .. import pipeline  # noqa: F401 -- the engines registered, the heavy imports done once

    def hello(self) -> dict:
        """Who this worker is: mmgen's version must match the batch's."""
        from ..version import __version__

        return {"version": __version__, "worker": f"{platform.node()}:{os.getpid()}", "memory_mb": _peak_memory_mb()}

    def make(self, row: BatchRow, names: tuple[str, ...] = (), *blobs: bytes) -> dict:
        """`blobs`: the bytes of the input files `names` (request fields), sent by a batch run on a
        cluster (top-level arguments, so Ray hands over the bytes rather than their references)."""
        return make_row(row, dict(zip(names, blobs)))
