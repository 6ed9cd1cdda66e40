"""Steady under load, on loopback, in bounded loops: a server with a queue of K takes 3K
simultaneous gradio_client clients; the excess are told to try again, every accepted job
finishes correctly, and a job that fails does not stall the queue."""

import threading
import time
from pathlib import Path

import pytest
import soundfile as sf
from conftest import launch_app

K = 2  # queue size of the server under test (one job runs, K wait)


@pytest.fixture(scope="module")
def small_queue(tmp_path_factory):
    process, url = launch_app(tmp_path_factory.mktemp("app-k"), MMGEN_MAX_QUEUE=str(K))
    yield url
    process.terminate()
    process.wait(timeout=20)


def test_a_full_queue_turns_the_excess_away_and_finishes_the_rest(small_queue):
    from gradio_client import Client

    clients = [Client(small_queue, verbose=False) for _ in range(3 * K)]
    ready, results = threading.Barrier(len(clients) - 1), [None] * len(clients)

    def ask(i: int, client) -> None:
        prompt = "steady \x07 pulse" if i == 0 else "steady pulse"  # one job fails and must not stall the queue
        if i:
            ready.wait()  # the rest arrive together, just after the failing one
        try:
            results[i] = ("ok", client.predict(prompt, 20, 0, "Auto", "Auto", str(i), "composer", api_name="/generate"))
        except Exception as error:
            results[i] = ("error", str(error))

    threads = [threading.Thread(target=ask, args=(i, c)) for i, c in enumerate(clients)]
    threads[0].start()
    time.sleep(0.2)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert all(result is not None for result in results), "a client never got an answer"
    busy = [r for r in results if r[0] == "error" and "queue is full" in r[1].lower()]
    done = [r for r in results if r[0] == "ok"]
    failed = [r for r in results if r[0] == "error" and r not in busy]
    assert busy, "nobody was turned away, so the queue bound was never reached"
    assert len(done) + len(failed) <= 1 + K  # one running and K waiting at most were accepted
    assert all(abs(sf.info(r[1][0]).duration - 20) < 0.01 for r in done)
    assert results[0][0] == "error" and "control character" in results[0][1]  # accepted, failed plainly
    assert failed == [results[0]] and done  # ...and the jobs behind it still ran
    # The queue is free again afterwards.
    assert Path(
        Client(small_queue, verbose=False).predict(
            "after", 6, 0, "Auto", "Auto", "9", "composer", api_name="/generate"
        )[0]
    ).is_file()


def test_repeated_generations_stay_bounded(tmp_path_factory):
    """A short soak (benchmarks/soak.py runs the long one): result folders are pruned to the newest
    MMGEN_KEPT_RESULTS, open files and memory do not keep growing."""
    import os
    import tempfile

    from gradio_client import Client

    process, url = launch_app(tmp_path_factory.mktemp("app-soak"), MMGEN_KEPT_RESULTS="3")
    try:
        client = Client(url, verbose=False)

        def run(i):
            client.predict("soak", 5, 0, "Auto", "Auto", str(i), "composer", api_name="/generate")

        def status():
            fds = len(os.listdir(f"/proc/{process.pid}/fd"))
            rss = (
                int(
                    next(
                        line
                        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
                        if line.startswith("VmRSS:")
                    ).split()[1]
                )
                / 1024
            )
            return fds, rss

        for i in range(4):  # warm up: models, caches, thread pools
            run(i)
        fds_before, rss_before = status()
        for i in range(4, 16):
            run(i)
        fds_after, rss_after = status()
        results = list((Path(tempfile.gettempdir()) / "mmgen-studio").glob("track-*"))
        assert len(results) <= 3
        assert fds_after <= fds_before + 5
        assert rss_after <= rss_before + 150  # MB: allocator noise, not a leak per generation
    finally:
        process.terminate()
        process.wait(timeout=20)
