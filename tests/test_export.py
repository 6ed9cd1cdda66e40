"""Export writes every format readably, and never leaves a half-written file."""

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from mmgen.codecs.base import Waveform
from mmgen.errors import InvalidRequest
from mmgen.post import export as export_module
from mmgen.post.export import check_output_path, export, write_report

WAVE = Waveform((0.25 * np.sin(np.linspace(0, 2000, 44100 * 2))).astype(np.float32)[None].repeat(2, 0), 44100)


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3"])
def test_audio_formats_round_trip(tmp_path, suffix):
    path = export(tmp_path / f"a{suffix}", WAVE, None)
    data, rate = sf.read(path, always_2d=True)
    assert rate == 44100 and data.shape[1] == 2
    assert abs(len(data) / rate - 2.0) < 0.06  # mp3 frames pad a little


def test_score_to_midi_refuses_audio_tokens(tmp_path):
    with pytest.raises(InvalidRequest, match="no score"):
        export(tmp_path / "a.mid", WAVE, tokens=object())


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken_write(path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(export_module.sf, "write", broken_write)
    with pytest.raises(OSError, match="disk full"):
        export(tmp_path / "a.wav", WAVE, None)
    assert list(tmp_path.iterdir()) == []


def test_report_is_json(tmp_path):
    import json

    path = write_report({"seed": 1, "text": "ü"}, tmp_path / "r.json")
    assert json.loads(path.read_text(encoding="utf-8")) == {"seed": 1, "text": "ü"}


@pytest.mark.parametrize("name, words", [("a.aiff", "must end in"), ("missing/a.wav", "does not exist")])
def test_output_path_checks(tmp_path, name, words):
    with pytest.raises(InvalidRequest, match=words):
        check_output_path(tmp_path / name)


def test_folder_as_output_is_refused(tmp_path):
    folder = tmp_path / "x.wav"
    folder.mkdir()
    with pytest.raises(InvalidRequest, match="is a folder"):
        check_output_path(folder)


def test_midi_export_is_readable(tmp_path, make_track):
    track = make_track("an elegant waltz", 8)
    midi = pretty_midi.PrettyMIDI(str(track.save(tmp_path / "w.mid")))
    assert midi.time_signature_changes[0].numerator == 3
    assert {i.name for i in midi.instruments} >= {"melody", "bass", "chords"}
    assert track.formats() == [".wav", ".mp3", ".flac", ".mid"]
    with pytest.raises(InvalidRequest, match=r"cannot be saved as \.ecdc"):
        track.save(tmp_path / "w.ecdc")
    assert not (tmp_path / "w.ecdc").exists()
