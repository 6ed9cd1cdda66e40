"""`run(manifest, out)`: a whole manifest made on Ray, on this machine (Ray started here, the
default) or on a running cluster (`address="auto"` on one of its nodes, or `"ray://head:10001"`).

The data flow: read_manifest checks every row here -> rows made already are skipped (their
report has the row's hash) -> each other row goes to a worker (a Ray actor that keeps its models
loaded between rows: one CPU each for the score engines, one GPU each for the neural engines where
the cluster has GPUs) -> the worker hands back the files' bytes -> they are written here, each
atomically, the report last -> the results manifest is rewritten as rows finish.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidRequest, Unavailable
from .manifest import BatchRow, read_manifest
from .outputs import commit, lock_folder, previous_report, remove_partials
from .results import RESULT_FIELDS, Progress, Results, duration_words
from .worker import RowMaker

RESULTS_SUFFIXES = (".csv", ".jsonl")
READY_TIMEOUT_S = 600  # a cluster may have to start a node before the first worker runs
# what a cluster's workers are told of this machine's settings (a local Ray inherits them all)
FORWARDED_ENV = ("HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "TRANSFORMERS_OFFLINE", "MMGEN_DEBUG")
SAVE_EVERY_S = 2.0
CONNECT_TIMEOUT_S = 5.0
# What a worker asks of Ray besides its CPU or GPU: its memory at its peak, so that Ray never
# puts more workers on a node than its memory holds (benchmarks/batch.py measured 1.3-1.4 GB for
# the score engines; MusicGen small and the diffusion engines hold their weights besides).
WORKER_MEMORY = {"cpu": 3 << 29, "gpu": 6 << 30}  # 1.5 GiB, 6 GiB


@dataclass
class BatchSummary:
    """How a batch went; `rows` are the results manifest's lines, in manifest order."""

    results_path: Path
    rows: list[dict]
    elapsed_s: float
    startup_s: float = 0.0  # Ray started and every worker ready
    overhead_s: float = 0.0  # a row's time on Ray beyond its time in the worker (mean)
    workers: int = 0

    def count(self, status: str) -> int:
        return sum(row["status"] == status for row in self.rows)

    @property
    def failures(self) -> list[dict]:
        return [row for row in self.rows if row["status"] in ("failed", "invalid", "pending")]

    def line(self) -> str:
        counts = ", ".join(
            f"{self.count(s)} {s}" for s in ("made", "skipped", "failed", "invalid", "pending") if self.count(s)
        )
        return (
            f"{len(self.rows)} row{'s' * (len(self.rows) != 1)}: {counts} in {duration_words(self.elapsed_s)}. "
            f"Results: {self.results_path}"
        )


def _results_path(manifest: Path, out: Path, results: str | Path | None) -> Path:
    if results is None:
        return out / f"results{'.csv' if manifest.suffix.lower() == '.csv' else '.jsonl'}"
    path = Path(results).expanduser()
    if path.suffix.lower() not in RESULTS_SUFFIXES:
        raise InvalidRequest(f"The results file '{path.name}' must end in .csv or .jsonl.")
    if not path.parent.is_dir():
        raise InvalidRequest(f"The folder '{path.parent}' for the results does not exist.")
    return path


def run(
    manifest: str | Path,
    out: str | Path,
    *,
    address: str | None = None,
    workers: int | None = None,
    results: str | Path | None = None,
    progress: bool = True,
    gpus: int | None = None,
) -> BatchSummary:
    """Make every row of `manifest` into `out`; rows made already are skipped. `address`: a Ray
    cluster ("auto", "ray://host:10001"; None: $RAY_ADDRESS, else Ray started here). `workers`:
    how many rows at once on CPUs (default: every CPU, as many as the memory holds). `gpus`: the
    GPUs a Ray started here offers the neural rows (default: those it finds). Raises
    InvalidRequest / Unavailable for the batch as a whole; a row's own trouble is in its results
    line."""
    started = time.monotonic()
    manifest, out = Path(manifest).expanduser(), Path(out).expanduser().resolve()
    address = address or os.environ.get("RAY_ADDRESS") or None  # inside a Ray job: its cluster
    if workers is not None and not 1 <= workers <= 10_000:
        raise InvalidRequest("The number of workers must be between 1 and 10000.")
    if gpus is not None and (not 0 <= gpus <= 1024 or address is not None):
        raise InvalidRequest("--gpus is 0 to 1024, for Ray on this machine (a cluster's nodes say their own).")
    if out.exists() and not out.is_dir():
        raise InvalidRequest(f"'{out}' is a file; give a folder for the batch's files.")
    results_path = _results_path(manifest, out, results)
    rows, problems = read_manifest(manifest)
    lock, table = lock_folder(out), Results(results_path)
    try:
        remove_partials(out)
        for problem in problems:
            table.set(problem.line, problem.row_id, "invalid", error=problem.message)
        todo = []
        for row in rows:
            report = previous_report(row, out)
            if report is None:
                table.set(row.line, row.row_id, "pending")
                todo.append(row)
            else:
                batch = report["batch"]
                table.set(row.line, row.row_id, "skipped", files=batch["files"], **batch.get("results", {}))
        table.save()
        stats = _make_on_ray(todo, out, table, Progress(len(todo), progress), address, workers, gpus) if todo else {}
    finally:  # stopped or not, the results say where every row stands
        if table.lines:
            table.save()
        lock.close()
    rows_out = [table.lines[line] for line in sorted(table.lines)]
    return BatchSummary(results_path, rows_out, time.monotonic() - started, **stats)


def _check_reachable(address: str) -> None:
    """A cluster's address answers within seconds, or the batch says so (Ray itself would retry
    for a minute or more)."""
    import socket

    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise InvalidRequest(f"The Ray address '{address}' must be auto, HOST:PORT or ray://HOST:PORT.")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise Unavailable(f"No Ray cluster answers at {address} ({error.strerror or error}).") from None


def _start_ray(address: str | None, workers: int | None, gpus: int | None) -> None:
    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no report home: most machines here are offline
    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
    if address is not None:
        _check_reachable(address)
    try:
        if address is None:  # a new Ray here ("local": not one a `ray start` left running); its workers
            # inherit this environment, and find mmgen where this process did (a checkout, too)
            root = str(Path(__file__).resolve().parents[2])
            os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
            cpus = max(workers or 0, os.cpu_count() or 1)
            ray.init(address="local", num_cpus=cpus, num_gpus=gpus, object_store_memory=1 << 30, **quiet)
        else:
            env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
            ray.init(address=address, runtime_env={"env_vars": env}, **quiet)
    except ImportError:  # ray:// needs Ray's client (grpcio)
        raise Unavailable("Reaching a cluster by ray:// needs Ray's client: pip install 'ray[client]'.") from None
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {address}" if address else "Ray on this machine"
        raise Unavailable(f"Could not start {where}: {str(error).splitlines()[0]}") from None


def _new_worker(pool: str):
    import ray

    gpus = 1 if pool == "gpu" else 0
    return ray.remote(RowMaker).options(num_cpus=1, num_gpus=gpus, memory=WORKER_MEMORY[pool]).remote()


def _workers(todo: list[BatchRow], workers: int | None) -> dict[str, list]:
    """The actors: up to `workers` on one CPU each; one per GPU for the neural rows where there are GPUs."""
    import ray

    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    neural = sum(row.neural for row in todo) if gpus else 0
    fit = max(1, int(resources.get("memory", 0) // WORKER_MEMORY["cpu"]))  # as many as the memory holds
    on_cpu = min(len(todo) - neural, workers or int(resources.get("CPU", 1)), fit)
    pools = {
        "cpu": [_new_worker("cpu") for _ in range(on_cpu)],
        "gpu": [_new_worker("gpu") for _ in range(min(neural, gpus))],
    }
    from ..version import __version__

    try:
        hellos = ray.get([a.hello.remote() for pool in pools.values() for a in pool], timeout=READY_TIMEOUT_S)
    except ray.exceptions.GetTimeoutError:
        raise Unavailable(
            f"No worker started within {READY_TIMEOUT_S} s: the cluster has no free CPU (or GPU) for one."
        ) from None
    except ray.exceptions.RayError as error:
        raise Unavailable(f"A worker could not start: {str(error).splitlines()[0]}") from None
    other = sorted({h["version"] for h in hellos} - {__version__})
    if other:
        raise Unavailable(
            f"The workers run mmgen {other[0]} and this machine {__version__}: install the same version on the cluster."
        )
    return pools


def _shipped_inputs(todo: list[BatchRow]) -> dict[str, object]:
    """For a cluster: each input file put in Ray's object store once, however many rows use it."""
    import ray

    refs = {}
    for path in {p for row in todo for p in row.inputs.values()}:
        refs[path] = ray.put(Path(path).read_bytes())
    return refs


def _make_on_ray(todo, out: Path, table: Results, progress: Progress, address, workers, gpus) -> dict:
    try:
        import ray
    except ImportError:
        raise Unavailable("Batch runs need Ray: pip install ray (or pip install 'mmgen[batch]').") from None
    began = time.monotonic()
    started_here = not ray.is_initialized()
    if started_here:
        _start_ray(address, workers, gpus)
    try:
        pools = _workers(todo, workers)
        startup_s = time.monotonic() - began
        shipped = _shipped_inputs(todo) if address is not None else {}
        on_gpu = [bool(pools["gpu"]) and row.neural for row in todo]
        queues = {pool: deque(r for r, g in zip(todo, on_gpu) if g == (pool == "gpu")) for pool in ("cpu", "gpu")}
        in_flight, overheads, last_save = {}, [], time.monotonic()

        def submit(actor, pool: str) -> None:
            if queues[pool]:
                row = queues[pool].popleft()
                names = tuple(row.inputs) if shipped else ()
                call = actor.make.remote(row, names, *(shipped[row.inputs[name]] for name in names))
                in_flight[call] = (actor, pool, row, time.monotonic())

        for pool, actors in pools.items():
            for actor in actors:
                submit(actor, pool)
        while in_flight:
            (ref,), _ = ray.wait(list(in_flight), num_returns=1)
            actor, pool, row, sent = in_flight.pop(ref)
            try:
                made = ray.get(ref)
                overheads.append(time.monotonic() - sent - made["time_s"])
            except ray.exceptions.RayError as error:  # the worker died (memory, a crash): a fresh one goes on
                made = {"status": "failed", "error": f"its worker stopped ({type(error).__name__}); run again to retry"}
                pools[pool].remove(actor)
                actor = _new_worker(pool)
                pools[pool].append(actor)
            _record(row, {**made, "ran_on": pool}, out, table)
            if time.monotonic() - last_save > SAVE_EVERY_S or not in_flight:
                table.save()
                last_save = time.monotonic()
            progress.advance(table, f"line {row.line} {row.row_id}: {table.lines[row.line]['status']}")
            submit(actor, pool)
        count = sum(len(p) for p in pools.values())
        overhead = sum(overheads) / len(overheads) if overheads else 0.0
        return {"startup_s": round(startup_s, 3), "overhead_s": round(overhead, 4), "workers": count}
    finally:
        if started_here:
            ray.shutdown()


def _record(row: BatchRow, made: dict, out: Path, table: Results) -> None:
    values = {k: made[k] for k in RESULT_FIELDS if k in made}
    if made["status"] != "made":
        table.set(row.line, row.row_id, "failed", error=made["error"], **values)
        return
    try:
        files = commit(row, made, out)
    except OSError as error:
        table.set(row.line, row.row_id, "failed", error=f"could not write its files: {error}", **values)
        return
    table.set(row.line, row.row_id, "made", files=files, **values)
