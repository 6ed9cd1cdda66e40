"""Shared fixtures. Everything here runs the real pipeline offline: the real MiniLM text encoder,
the real composer, the real SoundFont synthesizer. Tracks are cached per session because the
same few pieces serve many assertions."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from mmgen import GenerationRequest, generate  # noqa: E402


@functools.cache
def _cached_track(prompt: str, duration_s: float, seed: int, tempo_bpm, key, meter):
    return generate(GenerationRequest(prompt=prompt, duration_s=duration_s, seed=seed,
                                      tempo_bpm=tempo_bpm, key=key, meter=meter))


@pytest.fixture(scope="session")
def make_track():
    """make_track(prompt, duration_s=20, seed=0, tempo_bpm=None, key=None, meter=None) -> Track."""
    def make(prompt: str, duration_s: float = 20.0, seed: int = 0, tempo_bpm=None, key=None, meter=None):
        return _cached_track(prompt, duration_s, seed, tempo_bpm, key, meter)
    return make


@pytest.fixture()
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
