"""SoundFont parts rendered side by side in helper processes.

midirenderer holds the GIL, so the studio's several SoundFont parts would render one after the
other; helper processes use the other cores. They are plain `python -c` children talking over
pipes (not multiprocessing, whose spawn and forkserver modes re-run the caller's main script:
an unguarded `generate(...)` in a user's script would run again in every helper). Each helper
and the caller take the jobs in turn, so each renders about its share. A helper that dies is
replaced, and its parts rendered here.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

_HEADER = struct.Struct("<Q")  # the byte length of each message
_SERVE = "from mmgen.codecs.render_workers import serve; serve()"


def worker_count() -> int:
    """Helpers: $MMGEN_RENDER_WORKERS, else one per core beyond this process's, up to 3."""
    configured = os.environ.get("MMGEN_RENDER_WORKERS", "").strip()
    if configured.isdigit():
        return int(configured)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(0, min(3, cores - 1))


def _send(stream, payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _receive(stream) -> bytes:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the render helper closed its pipe")
    (length,) = _HEADER.unpack(header)
    payload = stream.read(length)
    if len(payload) < length:
        raise EOFError("the render helper closed its pipe")
    return payload


def serve() -> None:
    """A helper's loop: (path, mtime, midi bytes, end_s) in, float32 `[2, N]` bytes out (an
    error: one byte 0 and the message)."""
    from .midi_render import render_midi

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            job = pickle.loads(_receive(stdin))
        except EOFError:
            return
        try:
            audio = render_midi(*job)
            _send(stdout, b"\x01" + np.ascontiguousarray(audio, dtype=np.float32).tobytes())
        except Exception as error:  # reported to the caller, which renders the part itself
            _send(stdout, b"\x00" + str(error).encode("utf-8", "replace"))


class _Helper:
    def __init__(self) -> None:
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])  # so a checkout's mmgen imports
        env["PYTHONPATH"] = os.pathsep.join([package_root, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        self.queue_lock, self.write_lock, self.read_lock = threading.Lock(), threading.Lock(), threading.Lock()
        self.queued = self.answered = 0  # jobs sent, results read
        self.results: dict[int, bytes | None] = {}

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, payload: bytes) -> None:
        with self.write_lock, contextlib.suppress(OSError):  # a dead helper: its readers render here
            _send(self.process.stdin, payload)

    def read_one(self) -> bytes | None:
        try:
            return _receive(self.process.stdout)
        except (EOFError, OSError):
            return None

    def close(self) -> None:
        if self.alive():
            self.process.stdin.close()
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()


_helpers: list[_Helper] = []
_lock = threading.Lock()
_turn = itertools.count()


def _helper_for_next_job() -> _Helper | None:
    """Jobs go round the processes, this one included (None: render here), so each renders
    about its share; helpers are started on first need."""
    with _lock:
        _helpers[:] = [h for h in _helpers if h.alive()]
        wanted = worker_count()
        while len(_helpers) < wanted:
            _helpers.append(_Helper())
        for spare in _helpers[wanted:]:  # fewer asked for now: the spare ones finish and go
            spare.close()
        del _helpers[wanted:]
        slot = next(_turn) % (len(_helpers) + 1)
        return _helpers[slot] if slot < len(_helpers) else None


def render_later(job: tuple, render_here):
    """Queue `job` (the arguments of midi_render.render_midi) on a helper, or leave it for this
    process; returns a function that waits for its audio. A helper failing: `render_here(*job)`.
    The job is written by a thread, so a helper busy writing an earlier result back never blocks
    the caller (results are read in the order the jobs were queued)."""
    helper = _helper_for_next_job()
    if helper is None:
        return lambda: render_here(*job)
    with helper.queue_lock:
        ticket = helper.queued
        helper.queued += 1
    writer = threading.Thread(target=helper.send, args=(pickle.dumps(job),), daemon=True)
    writer.start()

    def wait() -> np.ndarray:
        with helper.read_lock:
            while helper.answered < ticket:  # an earlier job's result not yet collected
                helper.results[helper.answered] = helper.read_one()
                helper.answered += 1
            reply = helper.results.pop(ticket, None)
            if reply is None:
                reply = helper.read_one()
                helper.answered += 1
        if reply is None or reply[:1] != b"\x01":
            return render_here(*job)
        return np.frombuffer(reply[1:], dtype=np.float32).reshape(2, -1).copy()

    return wait


@atexit.register
def _close_helpers() -> None:
    for helper in _helpers:
        helper.close()
