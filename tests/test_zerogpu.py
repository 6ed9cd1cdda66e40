"""ZeroGPU: the studio's generate handler is marked with spaces.GPU when the package is there,
with a GPU time that follows the request; without the package the handler runs as it is."""

from __future__ import annotations

import importlib
import sys
import types

import pytest

from mmgen.zerogpu import MAX_GPU_S, MIN_GPU_S, gpu_seconds, on_zero_gpu


def test_gpu_time_follows_the_engine_and_the_music():
    assert gpu_seconds("composer", offline=True, music_s=600, takes=4, sung=False) == MIN_GPU_S
    assert gpu_seconds("musicgen", offline=False, music_s=60, takes=2, sung=False) == 15 + 60 * 2 * 0.25
    assert gpu_seconds("musicgen-large", offline=False, music_s=60, takes=1, sung=False) == 15 + 60
    assert gpu_seconds("musicgen-melody", offline=False, music_s=600, takes=4, sung=False) == MAX_GPU_S
    assert gpu_seconds("composer", offline=True, music_s=40, takes=1, sung=True) == 15 + 40  # Bark sings on the GPU


def test_without_the_spaces_package_the_handler_is_unchanged(monkeypatch):
    monkeypatch.setitem(sys.modules, "spaces", None)  # import spaces -> ImportError

    def handler(x):
        return x

    assert on_zero_gpu(handler, duration=lambda *a, **k: 30) is handler


def test_off_zero_gpu_the_real_spaces_package_leaves_the_handler_as_it_is():
    pytest.importorskip("spaces")

    def handler(x):
        return x

    assert on_zero_gpu(handler, duration=lambda *a, **k: 30) is handler


def test_with_the_spaces_package_the_handler_is_marked_with_its_duration(monkeypatch):
    marked = []

    def gpu(task, duration=None):
        marked.append((task, duration))
        return lambda *args, **kwargs: ("on the GPU", task(*args, **kwargs))

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))

    def duration(*args, **kwargs):
        return 42

    wrapped = on_zero_gpu(lambda x: x + 1, duration=duration)
    assert marked[0][1] is duration and wrapped(1) == ("on the GPU", 2)


@pytest.fixture(scope="module")
def app():
    return importlib.import_module("app")


def test_the_studio_reserves_gpu_time_from_the_handlers_own_arguments(app):
    # make_track's positional order: prompt, duration, bpm, key, meter, seed, decoder, variations, ...
    assert app.make_track_gpu_seconds("lofi", 30, 0, "Auto", "Auto", "3", "composer") == MIN_GPU_S
    assert app.make_track_gpu_seconds("lofi", 60, 0, "Auto", "Auto", "3", "musicgen", 2) == 15 + 60 * 2 * 0.25
    assert app.make_track_gpu_seconds("x", 30, 0, "Auto", "Auto", "", "musicgen", video="edit.mp4") == 15 + 600 * 0.25
    sung = app.make_track_gpu_seconds("x", None, 0, "Auto", "Auto", "", "composer", lyrics="la la", vocals="bark")
    assert sung == MAX_GPU_S  # a song's length is not known before it is planned: the longest is reserved
