"""The sentence encoder's two paths give the same reading: transformers in the first process,
then the cached TorchScript trace with the `tokenizers` library (no transformers import) in later
ones; a damaged cache falls back to transformers."""

import numpy as np

from mmgen.encoders.text import TextEncoder

TEXTS = ["chill lofi beat for a cooking video", "something for a rainy afternoon in town", "epic " * 400]


def test_the_cached_trace_reads_as_transformers_does(tmp_path, monkeypatch):
    monkeypatch.setenv("MMGEN_CACHE", str(tmp_path))
    first = TextEncoder()
    assert first.backend == "transformers"
    assert list(tmp_path.glob("text-encoder-*.pt")) and list(tmp_path.glob("text-vectors-*.npy"))
    later = TextEncoder()
    assert later.backend == "traced"
    assert np.abs(first.embed(TEXTS) - later.embed(TEXTS)).max() < 1e-5  # truncation at 256 tokens alike
    a, b = first.encode("sad cinematic strings"), later.encode("sad cinematic strings")
    for category in ("styles", "moods", "uses"):
        assert max(abs(a.scores[category][k] - b.scores[category][k]) for k in a.scores[category]) < 1e-5


def test_a_damaged_trace_falls_back_to_transformers(tmp_path, monkeypatch):
    monkeypatch.setenv("MMGEN_CACHE", str(tmp_path))
    TextEncoder()
    for trace in tmp_path.glob("text-encoder-*.pt"):
        trace.write_bytes(b"not a torchscript file")
    encoder = TextEncoder()
    assert encoder.backend == "transformers"
    assert encoder.embed(["a song"]).shape == (1, 384)
