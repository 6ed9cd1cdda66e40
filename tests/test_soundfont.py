"""The SoundFont codec: which SoundFont is used, and what a render looks like."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from mmgen.codecs import soundfont
from mmgen.codecs.soundfont import SoundFontCodec, find_soundfont
from mmgen.errors import Unavailable
from mmgen.tokens import Part, ScoreTokens


def tiny_score(end_s=3.0):
    piano = Part("chords", program=0)
    for i, pitch in enumerate((60, 64, 67, 72)):
        piano.add(pitch, i * 0.5, 1.0, 90)
    drums = Part("drums", program=0, is_drum=True)
    for beat in range(4):
        drums.add(36 if beat % 2 == 0 else 38, beat, 0.25, 100)
    return ScoreTokens(tempo_bpm=120, quarters_per_beat=1.0, meter="4/4", parts=[piano, drums], end_s=end_s)


@pytest.mark.parametrize("end_s", [1.0, 2.3456, 5.0])
def test_render_has_the_exact_length_and_sound(end_s):
    wave = SoundFontCodec().decode(tiny_score(end_s))
    assert wave.sample_rate_hz == 44100 and wave.samples.shape == (2, round(end_s * 44100))
    assert wave.samples.dtype == np.float32 and np.abs(wave.samples).max() > 0.01


def test_environment_variable_chooses_the_soundfont(tmp_path, monkeypatch):
    bundled = soundfont._bundled_soundfont()
    mine = tmp_path / "mine.sf2"
    shutil.copy(bundled, mine)
    monkeypatch.setenv("MMGEN_SOUNDFONT", str(mine))
    assert find_soundfont()[0] == mine
    assert SoundFontCodec().decode(tiny_score()).samples.shape[1] == 3 * 44100


@pytest.mark.parametrize("name", ["missing.sf2", "notes.txt"])
def test_bad_soundfont_setting_is_explained(tmp_path, monkeypatch, name):
    (tmp_path / "notes.txt").write_text("not a soundfont")
    monkeypatch.setenv("MMGEN_SOUNDFONT", str(tmp_path / name))
    path, why = find_soundfont()
    assert path is None and "MMGEN_SOUNDFONT" in why
    with pytest.raises(Unavailable, match=r"not a readable \.sf2"):
        SoundFontCodec().decode(tiny_score())


def test_bundled_soundfont_is_the_fallback(monkeypatch):
    monkeypatch.delenv("MMGEN_SOUNDFONT", raising=False)
    monkeypatch.setattr(soundfont, "SYSTEM_SOUNDFONTS", ())
    path, why = find_soundfont()
    assert path.name == "TimGM6mb.sf2" and "pretty_midi" in why


@pytest.mark.skipif(not Path(soundfont.SYSTEM_SOUNDFONTS[0]).is_file(), reason="FluidR3 not installed")
def test_system_soundfont_is_preferred(monkeypatch):
    monkeypatch.delenv("MMGEN_SOUNDFONT", raising=False)
    assert find_soundfont()[0] == Path(soundfont.SYSTEM_SOUNDFONTS[0])
    assert np.abs(SoundFontCodec().decode(tiny_score()).samples).max() > 0.01
