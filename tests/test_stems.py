"""Stems of a produced score: separate files, each part with its own reverb and delay, mastered
as the mix was (the limiter included), that sum back to the mastered track; a MIDI file per part."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from mmgen.codecs.base import Waveform
from mmgen.errors import InvalidRequest
from mmgen.pipeline import generate
from mmgen.post.mix import mix_vocals
from mmgen.request import GenerationRequest

RATE = 44100


def null_residual_db(files: list, mix: np.ndarray) -> float:
    """The sum of the stem files against the mix, in dB under the mix's peak."""
    total = sum(sf.read(f, dtype="float64", always_2d=True)[0] for f in files)
    return float(20 * np.log10(np.abs(total - mix).max() / np.abs(mix).max()))


@pytest.fixture(scope="module")
def loud_house():
    """A track mastered loud enough that the limiter works on it."""
    return generate(GenerationRequest(prompt="house music", duration_s=10.0, seed=4, loudness_lufs=-8.0))


def test_stem_files_null_against_the_mastered_mix(loud_house, tmp_path):
    track = loud_house
    assert track.mastering.limited  # the limiter's gain is in every stem, once
    mix_file = track.save(tmp_path / "mix.wav")
    written = track.save_stems(tmp_path / "stems")
    wavs = [f for f in written if f.suffix == ".wav"]
    assert {f.stem for f in wavs} >= {"drums", "bass", "chords"} and "reverb" not in {f.stem for f in wavs}
    mix, rate = sf.read(mix_file, dtype="float64", always_2d=True)
    for f in wavs:
        info = sf.info(f)
        assert info.frames == mix.shape[0] and info.samplerate == rate == RATE
    assert null_residual_db(wavs, mix) <= -60.0


def test_a_part_louder_alone_than_in_the_mix_is_not_clipped(tmp_path):
    """Where parts partly cancel, one alone can peak past full scale: the stem files are 32-bit
    float, so they still sum to the mix (24-bit files clipped such a melody to -20 dB of residual)."""
    from mmgen.post.stems import write_stems

    rng = np.random.default_rng(0)
    bass, melody = (0.1 * rng.standard_normal((2, 2, RATE))).astype(np.float32)
    melody[:, :100] = 1.3  # past full scale alone; the bass pulls the mix back under it
    bass[:, :100] = -0.5
    mix = Waveform(bass + melody, RATE, stems={"bass": bass, "melody": melody})
    written = write_stems(mix, None, tmp_path / "stems")
    assert {sf.info(f).subtype for f in written} == {"FLOAT"}
    back = {f.stem: sf.read(f, dtype="float32", always_2d=True)[0].T for f in written}
    assert back["melody"].max() == pytest.approx(1.3)
    assert np.abs(back["bass"] + back["melody"] - mix.samples).max() < 1e-6


def test_each_part_midi_holds_its_notes(loud_house, tmp_path):
    track = loud_house
    written = {f.name: f for f in track.save_stems(tmp_path / "stems")}
    for part in (p for p in track.tokens.parts if p.notes):
        midi = pretty_midi.PrettyMIDI(str(written[f"{part.name}.mid"]))
        assert len(midi.instruments) == 1 and midi.instruments[0].is_drum == part.is_drum
        expected = track.tokens.to_midi().instruments[[p.name for p in track.tokens.parts].index(part.name)]
        assert sorted(n.pitch for n in midi.instruments[0].notes) == sorted(n.pitch for n in expected.notes)
        assert len(midi.instruments[0].notes) > 0


def test_a_muted_stem_takes_its_echoes_with_it(loud_house):
    """The mix without the drums stem has no drum hits left in it: its onsets where the drums
    alone played are gone (the drums' reverb went with them)."""
    stems = loud_house.audio.stems
    without = loud_house.audio.samples - stems["drums"]
    assert np.allclose(without, sum(stems[r] for r in stems if r != "drums"), atol=1e-5)
    assert np.sqrt(np.mean(without**2)) < np.sqrt(np.mean(loud_house.audio.samples**2))


def test_sung_vocals_are_a_stem_and_the_rest_is_ducked_alike():
    rng = np.random.default_rng(0)
    parts = {"drums": rng.normal(0, 0.1, (2, RATE)).astype(np.float32), "bass": rng.normal(0, 0.1, (2, RATE))}
    parts = {k: v.astype(np.float32) for k, v in parts.items()}
    accompaniment = Waveform(parts["drums"] + parts["bass"], RATE, stems=parts, notes={"mix": "club"})
    t = np.arange(RATE // 2) / RATE
    voice = Waveform(np.stack([np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32), RATE)
    sung = mix_vocals(accompaniment, [(0.25, voice)])
    assert set(sung.stems) == {"drums", "bass", "vocals"} and sung.notes == {"mix": "club"}
    assert np.abs(sum(sung.stems.values()) - sung.samples).max() < 1e-5
    assert np.abs(sung.stems["vocals"][:, : RATE // 4]).max() == 0  # the voice starts at 0.25 s


def test_general_midi_has_no_stems_and_says_so(tmp_path):
    track = generate(GenerationRequest(prompt="folk song", duration_s=5.0, seed=1, sound="general-midi"))
    with pytest.raises(InvalidRequest, match="produced sound"):
        track.save_stems(tmp_path / "stems")
    assert not (tmp_path / "stems").exists()
