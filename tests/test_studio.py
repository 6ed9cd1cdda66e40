"""The studio: score parts played by synth voices, drum machines or the SoundFont, then mixed the
style's way. Real compositions, real renders, measured."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest

from mmgen import registry
from mmgen.eval import metrics
from mmgen.pipeline import generate, make_plan
from mmgen.request import GenerationRequest
from mmgen.studio.drums import render_drum_part
from mmgen.studio.production import ProductionDataError, _check, load_production, production_of
from mmgen.studio.render import kick_times_s, produce
from mmgen.studio.synth import render_note
from mmgen.tokens import Part, ScoreTokens
from mmgen.vocabulary import load_vocabulary

RATE = 44100
STYLES = load_vocabulary()["styles"]
PRODUCED = [name for name, entry in STYLES.items() if entry.get("sound")]


def compose(prompt: str, duration_s: float = 12.0, seed: int = 1) -> ScoreTokens:
    plan = make_plan(GenerationRequest(prompt=prompt, duration_s=duration_s, seed=seed))
    return registry.get("decoder", "composer").decode(plan, seed)


@pytest.fixture(scope="module")
def soundfont():
    return registry.get("codec", "soundfont")


@pytest.fixture(scope="module")
def house(soundfont):
    score = compose("house music for a workout video", 16.0)
    assert score.style == "house"
    return score, produce(score, soundfont, RATE)


def test_every_style_has_a_mix_and_known_instruments():
    data = load_production()  # checked against the styles as it loads
    for name, entry in STYLES.items():
        mix = entry.get("mix", data["families"][entry["family"]])
        assert mix in data["mixes"], name
    broken = copy.deepcopy(data)
    broken["programs"][81] = "no_such_voice"
    with pytest.raises(ProductionDataError, match="no_such_voice"):
        _check(broken)


@pytest.mark.parametrize("style", PRODUCED)
def test_styles_that_name_synths_play_them(style, soundfont):
    """Each style's named synth voices and drum machine are what plays its parts, in the
    stems, and the stems (each with its share of the reverb and delay) sum to the mix."""
    score = compose(f"{STYLES[style]['label']} music", 8.0)
    if score.style != style:
        pytest.skip(f"the words {STYLES[style]['label']!r} read as {score.style}")
    production = production_of(score.parts, score.style)
    result = produce(score, soundfont, RATE, production)
    for role, instrument in STYLES[style]["sound"].items():
        part = next((p for p in score.parts if p.name == role), None)
        if part is None or not part.notes:
            continue
        assert production.voicings[role].name == instrument
        assert production.voicings[role].kind == ("drum machine" if role == "drums" else "synth")
        assert np.abs(result.stems[role]).max() > 1e-3, f"{role} is silent"
    assert np.abs(sum(result.stems.values()) - result.mix).max() < 1e-5


def test_an_asked_instrument_keeps_its_soundfont_sound():
    score = compose("house music with a piano melody", 8.0)
    melody = next(p for p in score.parts if p.name == "melody")
    assert melody.program == 0
    assert production_of(score.parts, score.style).voicings["melody"].kind == "soundfont"


def test_house_ducks_the_bass_under_the_kick(house, soundfont):
    """Measured, not read back: the bass stem with the sidechain against the same render
    without it, just after each kick (the duck) and just before the next (recovered)."""
    score, result = house
    production = production_of(score.parts, score.style)
    unducked_mix = {k: v for k, v in production.mix.items() if k != "sidechain"}
    plain = produce(score, soundfont, RATE, replace(production, mix=unducked_mix))
    kicks = np.array(kick_times_s(score))
    assert len(kicks) > 8

    def level(stem: np.ndarray, offset_s: float) -> float:
        windows = [stem[:, int((k + offset_s) * RATE) : int((k + offset_s + 0.02) * RATE)] for k in kicks[:-1]]
        return float(np.sqrt(np.mean(np.concatenate(windows, axis=1) ** 2)))

    def reduction_db(offset_s: float) -> float:
        return 20 * np.log10(level(result.stems["bass"], offset_s) / level(plain.stems["bass"], offset_s))

    beat_s = 60 / score.tempo_bpm
    duck, recovered = reduction_db(0.004), reduction_db(0.9 * beat_s)
    depth = production.mix["sidechain"]["depth_db"]
    assert duck - recovered == pytest.approx(-depth, abs=2.0)
    assert abs(recovered) < 3.0


def test_a_folk_song_is_not_pumped(soundfont):
    score = compose("acoustic folk song", 8.0)
    result = produce(score, soundfont, RATE)
    assert not result.ducking
    assert all(k.kind == "soundfont" for k in production_of(score.parts, score.style).voicings.values())


def test_the_reverb_send_rings_for_the_rooms_decay(soundfont):
    """A dry/wet check: one short stab, then silence; the stab's stem carries its own reverb,
    whose tail decays in about the mix's reverb time; without the send it stops long before."""
    stab = Part("chords", 90)
    for pitch in (60, 64, 67):
        stab.add(pitch, 0.0, 0.25, 110)
    score = ScoreTokens(120.0, 1.0, "4/4", [stab], end_s=5.0, style="house")
    production = production_of(score.parts, score.style)
    assert set(produce(score, soundfont, RATE, production).stems) == {"chords"}  # the echoes are the part's own

    def with_sends(reverb: float):  # the delay off, to hear the room alone
        parts = {**production.mix["parts"], "chords": {**production.part_mix("chords"), "reverb": reverb, "delay": 0}}
        return produce(score, soundfont, RATE, replace(production, mix={**production.mix, "parts": parts}))

    result, dry = with_sends(production.part_mix("chords").get("reverb") or 0.3), with_sends(0)
    planned = load_production()["mixes"]["club"]["reverb"]["decay_s"]
    wet_decay = metrics.decay_time_s(result.stems["chords"], RATE, start_s=0.3)
    dry_decay = metrics.decay_time_s(dry.stems["chords"], RATE, start_s=0.3)
    assert wet_decay == pytest.approx(planned, rel=0.3)
    assert dry_decay < 0.4 * wet_decay


def test_synth_voices_sound_as_designed():
    data, rng = load_production(), np.random.default_rng(0)
    supersaw = render_note(data["voices"]["supersaw"], 69, 0.5, RATE, rng)
    assert supersaw.shape[0] == 2 and np.abs(supersaw[0] - supersaw[1]).max() > 0.05  # spread in stereo
    spectrum = np.abs(np.fft.rfft(supersaw[0, : RATE // 4]))
    freqs = np.fft.rfftfreq(RATE // 4, 1 / RATE)
    assert 420 < freqs[spectrum.argmax()] < 460 or 860 < freqs[spectrum.argmax()] < 900
    # the 808 falls onto its pitch: higher at the onset than 200 ms later
    bass = render_note(data["voices"]["bass_808"], 36, 0.6, RATE, rng)[0]

    def crossings(x: np.ndarray) -> int:
        return int(np.count_nonzero(np.diff(np.signbit(x))))

    assert crossings(bass[:2205]) > 1.2 * crossings(bass[8820:11025])


def test_drum_machine_hits_and_what_it_hands_back():
    part = Part("drums", 0, is_drum=True)
    for beat, pitch in enumerate((36, 42, 38, 63)):  # kick, closed hat, snare, open conga
        part.add(pitch, float(beat), 0.25, 110)
    score = ScoreTokens(120.0, 1.0, "4/4", [part], end_s=3.0)
    kit = load_production()["kits"]["808"]
    audio, left = render_drum_part(part, "808", kit, score, RATE)
    assert [n.pitch for n in left] == [63]  # no conga in an 808: the SoundFont plays it

    def centroid(start_s: float) -> float:
        piece = audio[0, int(start_s * RATE) : int((start_s + 0.1) * RATE)]
        power = np.abs(np.fft.rfft(piece)) ** 2
        return float((np.fft.rfftfreq(piece.size, 1 / RATE) * power).sum() / power.sum())

    assert centroid(0.0) < 200 < 5000 < centroid(0.5)  # a low kick, a bright hat


def test_renders_are_deterministic(house, soundfont):
    score, result = house
    again = produce(score, soundfont, RATE)
    assert np.array_equal(again.mix, result.mix)


def test_a_produced_track_is_mastered_and_its_stems_sum_to_it():
    track = generate(GenerationRequest(prompt="trap beat", duration_s=10.0, seed=2))
    assert track.codec == "studio"
    assert track.mastering.loudness_lufs == pytest.approx(-14.0, abs=0.2)
    assert metrics.true_peak_dbtp(track.audio.samples, RATE) <= -1.0
    stems = track.audio.stems
    assert {"drums", "bass"} <= set(stems) and "reverb" not in stems  # each part with its own echoes
    assert np.abs(sum(stems[r] for r in stems) - track.audio.samples).max() < 1e-4
    production = track.report()["production"]
    assert production["instruments"]["drums"] == "808 drum machine (drum machine)"
    assert "sidechain to the kick, 6 dB" in production["effects"]["pad"]
    # the explanation names what was heard: the studio's drum machine, not only the plan's kit
    sound_line = next(line for line in track.explain().split("\n\n") if line.startswith("**Sound:**"))
    assert "808 drum machine (drums)" in sound_line and production["mix"] in sound_line
    assert "**Sound:**" not in track.plan.explain()


def test_the_explanation_says_when_the_soundfont_plays_the_rest():
    acoustic = generate(GenerationRequest(prompt="acoustic folk song", duration_s=6.0, seed=1))
    produced = acoustic.details["production"]
    assert produced["studio_voices"] == {}  # a folk band: every part from the SoundFont, mixed
    assert f"the SoundFont's instruments in a {produced['mix']}" in acoustic.explain()
    zh = generate(GenerationRequest(prompt="一首电子舞曲", duration_s=6.0, seed=1))
    assert "**音色:**" in zh.explain() and "录音室制作" in zh.explain()


def test_general_midi_is_the_soundfont_alone():
    track = generate(GenerationRequest(prompt="trap beat", duration_s=6.0, seed=2, sound="general-midi"))
    assert track.codec == "soundfont" and track.audio.stems is None
    assert "production" not in track.report()


def test_soundfont_parts_render_the_same_in_helpers_and_here(monkeypatch, soundfont):
    """An orchestral score has more SoundFont parts than stems: the bass, melody and drums keep
    their own, the rest share the ensemble; helper processes or this one, the audio is the same."""
    score = compose("epic orchestral trailer", 8.0)
    from mmgen.codecs import render_workers

    monkeypatch.setenv("MMGEN_RENDER_WORKERS", "2")
    helped = produce(score, soundfont, RATE)
    assert len(render_workers._helpers) == 2
    monkeypatch.setenv("MMGEN_RENDER_WORKERS", "0")
    here = produce(score, soundfont, RATE)
    assert not render_workers._helpers
    assert {"bass", "melody", "drums", "ensemble"} <= set(helped.stems)
    assert np.array_equal(helped.mix, here.mix)
