"""Soak: many generations in a row against `python app.py` on loopback, watching the server for
growth in memory (RSS), open files and temporary disk use. Prints the figures for the README.

    python benchmarks/soak.py [--generations 200] [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ["lofi beat", "epic trailer", "solo piano", "house party", "bossa nova", "8-bit game", "jazz trio"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def disk_mb(*folders: Path) -> float:
    return (
        sum(f.stat().st_size for folder in folders if folder.exists() for f in folder.rglob("*") if f.is_file()) / 2**20
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    from gradio_client import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, HF_HUB_OFFLINE="1", GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
    with open(Path(tempfile.gettempdir()) / "mmgen-soak-app.log", "w") as log:
        server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(240):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.5)
            client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            temp = [
                Path(tempfile.gettempdir()) / "mmgen-studio",
                Path(os.environ.get("GRADIO_TEMP_DIR", Path(tempfile.gettempdir()) / "gradio")),
            ]
            samples, started = [], time.perf_counter()
            for i in range(args.generations):
                client.predict(
                    PROMPTS[i % len(PROMPTS)], args.seconds, 0, "Auto", "Auto", str(i), "composer", api_name="/generate"
                )
                if i in (9, args.generations - 1) or i % 25 == 24:
                    samples.append(
                        (i + 1, rss_mb(server.pid), open_files(server.pid), disk_mb(temp[0]), disk_mb(temp[1]))
                    )
                    print(
                        "after {}: rss {:.0f} MB, open files {}, results {:.1f} MB, gradio cache {:.1f} MB".format(
                            *samples[-1]
                        )
                    )
            elapsed = time.perf_counter() - started
            first, last = samples[0], samples[-1]
            print(
                f"generations={args.generations} jobs_per_min={60 * args.generations / elapsed:.1f} "
                f"rss_after_10={first[1]:.0f}MB rss_end={last[1]:.0f}MB rss_growth={last[1] - first[1]:+.0f}MB "
                f"open_files={first[2]}->{last[2]} results_disk={first[3]:.1f}->{last[3]:.1f}MB "
                f"gradio_cache={first[4]:.1f}->{last[4]:.1f}MB"
            )
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
