"""The audio originality check on real composer tracks: a transposed, faster copy is found in a
reference folder; unrelated tracks are not; unreadable files are skipped; features are cached."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf
from pedalboard import time_stretch

from mmgen.errors import InvalidRequest
from mmgen.library.store import data_folder
from mmgen.originality.audio import (
    COPY_AT,
    SIMILAR_AT,
    FeatureCache,
    ReferenceFolder,
    audio_features,
    check_audio,
    similarity,
)

GARBAGE_NOTE = "Skipped x.wav: it could not be read as audio."


def _write(path, wave: np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), wave.T, rate)  # [C, N] -> soundfile's [N, C]


@pytest.fixture(scope="module")
def tracks(make_track):
    """(the original's audio, two unrelated tracks' audio), Waveforms of 20 s composer tracks."""
    original = make_track("calm piano for a vlog", seed=1).audio
    return original, make_track("energetic rock", seed=4).audio, make_track("lofi", seed=5).audio


@pytest.fixture(scope="module")
def folders(tracks, tmp_path_factory):
    """with_copy: a +3 semitone, 1.15x copy of the original, the two unrelated tracks (one in a
    subfolder) and garbage bytes named x.wav; without_copy: the unrelated tracks alone."""
    original, rock, lofi = tracks
    rate = original.sample_rate_hz
    with_copy = tmp_path_factory.mktemp("with-copy")
    copy = time_stretch(original.samples, rate, stretch_factor=1.15, pitch_shift_in_semitones=3)
    _write(with_copy / "copy-of-piano.wav", copy, rate)
    _write(with_copy / "rock.wav", rock.samples, rate)
    _write(with_copy / "older" / "lofi.flac", lofi.samples, rate)
    (with_copy / "x.wav").write_bytes(os.urandom(3000))
    without_copy = tmp_path_factory.mktemp("without-copy")
    _write(without_copy / "rock.wav", rock.samples, rate)
    _write(without_copy / "lofi.wav", lofi.samples, rate)
    return with_copy, without_copy


def test_the_copy_is_found_and_named(tracks, folders):
    original = tracks[0]
    result = check_audio(original.samples, original.sample_rate_hz, folders[0])
    assert result.verdict == "copy"
    assert result.nearest == "copy-of-piano.wav"
    assert result.similarity >= COPY_AT
    assert result.line().startswith("copy: nearest in your reference folder: copy-of-piano.wav (similarity ")
    assert GARBAGE_NOTE in result.notes
    assert result.to_dict()["verdict"] == "copy" and result.to_dict()["nearest"] == "copy-of-piano.wav"
    # the default cache lives in the data folder
    assert list((data_folder() / "originality" / "audio-cache").glob("*.npy"))


def test_unrelated_tracks_are_original(tracks, folders):
    original = tracks[0]
    result = check_audio(original.samples, original.sample_rate_hz, ReferenceFolder(folders[1]))
    assert result.verdict == "original", result.line()
    assert result.similarity < SIMILAR_AT
    assert result.nearest in ("rock.wav", "lofi.wav")
    assert result.line().startswith("original: nearest in your reference folder: ")


def test_unreadable_file_is_skipped_with_a_note(folders, tmp_path):
    reference = ReferenceFolder(folders[0], FeatureCache(tmp_path))
    titles = [title for title, _ in reference.entries()]
    assert titles == ["copy-of-piano.wav", "older/lofi.flac", "rock.wav"]
    assert reference.notes == [GARBAGE_NOTE]


def test_features_are_cached_and_reused(folders, tmp_path):
    first = ReferenceFolder(folders[0], FeatureCache(tmp_path))
    computed = dict(first.entries())
    assert (first.cache.computed, first.cache.from_cache) == (3, 0)
    cached = sorted(tmp_path.glob("*.npy"))
    assert len(cached) == 3
    written = {p: p.stat().st_mtime_ns for p in cached}

    second = ReferenceFolder(folders[0], FeatureCache(tmp_path))
    again = dict(second.entries())
    assert (second.cache.computed, second.cache.from_cache) == (0, 3)
    assert all(np.array_equal(computed[t], again[t]) for t in computed)
    assert {p: p.stat().st_mtime_ns for p in cached} == written  # read, not rewritten

    # a file changed since (a new mtime) is analysed again
    rock = folders[0] / "rock.wav"
    os.utime(rock, ns=(rock.stat().st_atime_ns, rock.stat().st_mtime_ns + 10**9))
    third = ReferenceFolder(folders[0], FeatureCache(tmp_path))
    third.entries()
    assert (third.cache.computed, third.cache.from_cache) == (1, 2)


def test_missing_or_empty_folder_is_a_plain_error(tmp_path):
    with pytest.raises(InvalidRequest, match="does not exist"):
        ReferenceFolder(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("no music here")
    with pytest.raises(InvalidRequest, match="holds no audio files"):
        check_audio(np.zeros((2, 44100), np.float32), 44100, tmp_path)


def test_library_files_are_compared_too(tracks, folders, tmp_path):
    original = tracks[0]
    cache = FeatureCache(tmp_path)
    files = [folders[0] / "rock.wav", folders[0] / "copy-of-piano.wav", tmp_path / "gone.wav"]
    result = check_audio(original.samples, original.sample_rate_hz, library_files=files, cache=cache)
    assert (result.verdict, result.nearest, result.source) == ("copy", "copy-of-piano.wav", "library")
    assert result.line().startswith("copy: nearest in your library: copy-of-piano.wav")
    assert result.notes == ("Skipped gone.wav: it could not be opened.",)
    nothing = check_audio(original.samples, original.sample_rate_hz)
    assert (nothing.verdict, nothing.nearest, nothing.similarity) == ("original", None, 0.0)


def test_features_and_similarity_basics(tracks):
    original = tracks[0]
    feats = audio_features(original.samples, original.sample_rate_hz)
    assert feats.dtype == np.float32 and feats.shape[0] == 12 and feats.shape[1] > 10
    assert np.allclose(feats.max(axis=0), 1.0)  # each beat max-normalised
    assert np.array_equal(feats, audio_features(original.samples.T, original.sample_rate_hz))  # [N, C] too
    assert similarity(feats, feats) == pytest.approx(1.0)
    assert similarity(feats, feats[:, 4:14]) == pytest.approx(1.0)  # an excerpt is wholly contained
    silence = audio_features(np.zeros((2, 10 * 44100), np.float32), 44100)
    assert not silence.any() and similarity(silence, feats) == 0.0
