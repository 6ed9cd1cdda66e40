"""Shared fixtures. Everything here runs the real pipeline offline: the real MiniLM text encoder,
the real composer, the real SoundFont synthesizer. Tracks are cached per session because the
same few pieces serve many assertions."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MMGEN_DATA_DIR", tempfile.mkdtemp(prefix="mmgen-test-data-"))  # never the user's library

from mmgen import GenerationRequest, generate  # noqa: E402


@functools.cache
def _cached_track(prompt: str, duration_s: float, seed: int, tempo_bpm, key, meter):
    return generate(
        GenerationRequest(prompt=prompt, duration_s=duration_s, seed=seed, tempo_bpm=tempo_bpm, key=key, meter=meter)
    )


@pytest.fixture(scope="session")
def make_track():
    """make_track(prompt, duration_s=20, seed=0, tempo_bpm=None, key=None, meter=None) -> Track."""

    def make(prompt: str, duration_s: float = 20.0, seed: int = 0, tempo_bpm=None, key=None, meter=None):
        return _cached_track(prompt, duration_s, seed, tempo_bpm, key, meter)

    return make


@pytest.fixture
def point_at(monkeypatch):
    """point_at(VARIABLE, folder): load a checkpoint from `folder` in this test (the weight
    lookups and built components are forgotten before and after)."""
    from mmgen import registry
    from mmgen.weights import forget_located

    def use(variable: str, folder):
        monkeypatch.setenv(variable, str(folder))
        forget_located()
        registry._INSTANCES.clear()
        return folder

    yield use
    forget_located()
    registry._INSTANCES.clear()


@pytest.fixture(scope="session")
def diffusion_folders(tmp_path_factory):
    """{engine: folder} of tiny random ACE-Step and Stable Audio 3 pipelines of the real classes,
    saved as diffusers checkpoints (model_index.json and a folder per component)."""
    from mmgen.decoders.diffusion.random_weights import tiny_ace_step, tiny_stable_audio_3

    root = tmp_path_factory.mktemp("diffusion")
    tiny_ace_step().save_pretrained(root / "ace-step")
    tiny_stable_audio_3().save_pretrained(root / "stable-audio-3")
    return {"ace-step": root / "ace-step", "stable-audio-3": root / "stable-audio-3"}


@pytest.fixture
def diffusion_engines(diffusion_folders, point_at):
    """The tiny diffusion pipelines, loaded through mmgen's own code as `ace-step` and `stable-audio-3`."""
    point_at("MMGEN_ACE_STEP_PATH", diffusion_folders["ace-step"])
    point_at("MMGEN_STABLE_AUDIO_3_PATH", diffusion_folders["stable-audio-3"])
    return diffusion_folders


class Served(str):
    """The server's URL (a str), with the process id of `python app.py` and its data folder."""

    def __new__(cls, url: str, pid: int, data: Path | None = None):
        served = super().__new__(cls, url)
        served.pid, served.data = pid, data
        return served


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_app(folder: Path, **env_overrides: str):
    """Start `python app.py` on a free loopback port; (process, Served url). Logs to folder/app.log."""
    port = free_port()
    env = dict(
        os.environ, HF_HUB_OFFLINE="1", GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False", **env_overrides
    )
    env.pop("SPACE_ID", None)
    env["MMGEN_DATA_DIR"] = env_overrides.get("MMGEN_DATA_DIR", str(folder / "data"))  # its own library
    log = folder / "app.log"  # a file, not a pipe nobody reads (it would fill)
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail("app.py exited: " + log.read_text()[-3000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("app.py did not start within 120 s")
    return process, Served(f"http://127.0.0.1:{port}/", process.pid, Path(env["MMGEN_DATA_DIR"]))


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """`python app.py` served on loopback (with a tiny MusicGen to stream and a tiny ACE-Step), its URL."""
    from mmgen.decoders.diffusion.random_weights import tiny_ace_step
    from mmgen.decoders.musicgen.debug import save_debug_checkpoint

    tiny = save_debug_checkpoint(tmp_path_factory.mktemp("musicgen-tiny"))  # a real, tiny MusicGen to stream
    ace_step = tmp_path_factory.mktemp("ace-step-tiny")
    tiny_ace_step().save_pretrained(ace_step)
    process, url = launch_app(
        tmp_path_factory.mktemp("app"),
        MMGEN_MUSICGEN_PATH=str(tiny),
        MMGEN_ACE_STEP_PATH=str(ace_step),
        MMGEN_MAX_UPLOAD="8mb",
    )
    yield url
    process.terminate()
    process.wait(timeout=20)
