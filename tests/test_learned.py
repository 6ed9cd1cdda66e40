"""Learned symbolic decoders: the corpus parse, the lead-sheet tokens, training (a few steps on a
handful of real tunes), save and reload, plan-honouring generation, the shipped checkpoints and
the evaluation command."""

from __future__ import annotations

import numpy as np
import pytest

from mmgen import registry
from mmgen.music import Key, parse_key, parse_meter
from mmgen.symbolic.tokenizer import MODE_CHORDS, Bar, LeadSheetTokenizer, Note
from mmgen.training import corpus

FAMILIES = ("transformer", "lstm")
GRID_FAMILIES = ("vae", "gan", "diffusion")


@pytest.fixture(scope="module")
def tunes():
    """Real tunes parsed from the music21 corpus (Ryan's Mammoth: one tune per file)."""
    files = corpus.sources(("ryans",))[:40]
    pieces = [corpus.Piece(**p) for item in files for p in corpus.parse_file(item)]
    assert len(pieces) >= 30
    return pieces


def test_corpus_pieces_have_meter_key_and_bars(tunes):
    piece = tunes[0]
    assert piece.meter in corpus.METERS and piece.mode in ("major", "minor") and 0 <= piece.tonic_pc < 12
    melody = piece.parts["melody"]
    assert len(melody) >= 8 and all(d > 0 for _, d, _ in melody)
    assert min(o for o, _, _ in melody) > -piece.bar_q  # a pickup lies within the bar before 0
    assert piece.bars >= 4


def test_tokens_round_trip_and_transpose():
    tok = LeadSheetTokenizer()
    bars = [Bar("I", 2, [Note(0, 0.5, 62), Note(0.5, 0.5, 64), Note(1, 1.5, 66), Note(2.5, 0.5, 67)]),
            Bar("V", 0, []), Bar("V", 1, [Note(0, 3, 69)])]
    ids = tok.encode(Key(2, "major"), "folk", "fast", "6/8", bars)
    assert tok.decode_bars(ids, "6/8") == bars
    up = tok.transpose(ids, 3)
    assert tok.names[up[1]] == "Key_5_major"
    assert [n.pitch for n in tok.decode_bars(up, "6/8")[0].notes] == [65, 67, 69, 70]
    assert tok.transpose(ids, 40) is None  # out of the melody range


def test_bar_chords_follow_the_harmony(tunes):
    from mmgen.symbolic.dataset import piece_bars

    for piece in tunes[:10]:
        bars = piece_bars(piece)
        assert all(b.chord in MODE_CHORDS[piece.mode] for b in bars)
        final_pc = piece.parts["melody"][-1][2] % 12
        if final_pc == piece.tonic_pc:  # a tune ending on its tonic mostly ends on the tonic chord
            assert bars[-1].chord in ("I", "i", "IV", "iv", "vi", "bVI", "V")


@pytest.fixture(scope="module", params=FAMILIES)
def tiny_model(request, tunes, tmp_path_factory):
    """A tiny model of each family trained 6 steps on the tunes, saved like a shipped one."""
    from mmgen.symbolic.models import SequenceConfig
    from mmgen.training.sequence import train

    family = request.param
    root = tmp_path_factory.mktemp("models")
    out = root / f"symbolic-{family}"
    config = SequenceConfig(family, len(LeadSheetTokenizer()), dim=32, layers=2, heads=2, context=64)
    info = train(family, out, steps=6, batch=4, seed=0, resume=False, config=config, lr=1e-3,
                 collections=("ryans",), log_every=2, pieces=tunes)
    return family, root, info


@pytest.fixture()
def use_models(monkeypatch):
    from mmgen.decoders import learned

    from mmgen.decoders import grid

    def use(root):
        monkeypatch.setenv("MMGEN_SYMBOLIC_MODELS", str(root))
        registry._INSTANCES.clear()
    yield use
    registry._INSTANCES.clear()
    learned.load_folder.cache_clear()
    grid.load_folder.cache_clear()


def test_training_saves_resumes_and_records(tiny_model, tunes):
    from mmgen.symbolic.models import SequenceConfig
    from mmgen.training.sequence import train

    family, root, info = tiny_model
    out = root / f"symbolic-{family}"
    assert (out / "model.safetensors").is_file() and (out / "checkpoint.pt").is_file()
    assert info["steps"] == 6 and info["held_out_nll"] > 0 and info["family"] == family
    log = (out / "train.log").read_text()
    assert "step 6/6" in log
    # Resume: two more steps continue from step 6 rather than starting again.
    config = SequenceConfig(**info["config"])
    again = train(family, out, steps=8, batch=4, seed=0, resume=True, config=config, lr=1e-3,
                  collections=("ryans",), log_every=1, pieces=tunes)
    assert again["steps"] == 8
    lines = (out / "train.log").read_text().splitlines()
    assert any(line.startswith("step 7/8") for line in lines) and not any(line.startswith("step 1/8") for line in lines)


def _plan(key="D minor", meter="3/4", duration_s=20.0, prompt="a folk tune"):
    from mmgen.pipeline import make_plan
    from mmgen.request import GenerationRequest

    return make_plan(GenerationRequest(prompt=prompt, key=key, meter=meter, duration_s=duration_s, seed=1))


@pytest.mark.parametrize("key,meter", [("D minor", "3/4"), ("Bb major", "6/8"), ("E major", "4/4")])
def test_generated_lead_sheet_honours_the_plan(tiny_model, use_models, key, meter):
    from mmgen.decoders.learned import load

    family, root, _ = tiny_model
    use_models(root)
    decoder = registry.get("decoder", f"symbolic-{family}")
    plan = _plan(key, meter)
    chords, bars = decoder.lead_sheet(plan, seed=3)
    assert len(chords) == len(bars) == plan.total_bars
    mode_chords = MODE_CHORDS[parse_key(key).mode]
    assert all(c in mode_chords for c in chords)
    assert chords[-2] == "V" and chords[-1] in ("I", "i")
    bar_q = parse_meter(meter).beats_per_bar * parse_meter(meter).quarters_per_beat
    for notes in bars:
        assert all(0 <= n.onset_q < bar_q and n.onset_q + n.duration_q <= bar_q + 1e-6 for n in notes)
        onsets = [n.onset_q for n in notes]
        assert onsets == sorted(set(onsets))  # one line: no two notes start together
    final = bars[-1]
    assert len(final) == 1 and final[0].onset_q == 0 and final[0].pitch % 12 == parse_key(key).tonic_pc
    assert load(family)[2]["parameters"] < 200_000  # the tiny model, not the shipped one


def test_same_seed_same_score_and_exact_length(tiny_model, use_models):
    family, root, _ = tiny_model
    use_models(root)
    decoder = registry.get("decoder", f"symbolic-{family}")
    plan = _plan(duration_s=17.0)
    a, b = decoder.decode(plan, seed=5), decoder.decode(plan, seed=5)
    assert a.to_midi_bytes() == b.to_midi_bytes()
    assert decoder.decode(plan, seed=6).to_midi_bytes() != a.to_midi_bytes()
    assert a.end_s == pytest.approx(17.0)
    assert {p.name for p in a.parts} >= {"melody", "bass"}


def test_repeated_sections_replay_their_bars(tiny_model, use_models):
    from mmgen.decoders.learned import bar_specs, section_label

    family, root, _ = tiny_model
    use_models(root)
    plan = _plan(duration_s=60.0, meter="4/4", key="G major", prompt="calm piano")
    specs = bar_specs(plan, 0.45)
    replays = [(i, s.replay_of) for i, s in enumerate(specs) if s.replay_of is not None]
    varied = [(i, s.chord_of) for i, s in enumerate(specs) if s.chord_of is not None]
    assert replays and varied, [s.name for s in plan.sections]
    chords, bars = registry.get("decoder", f"symbolic-{family}").lead_sheet(plan, seed=2)
    for bar, earlier in replays:
        assert section_label(plan.section_at_bar(bar).name) == section_label(plan.section_at_bar(earlier).name)
        assert bars[bar] == bars[earlier] and chords[bar] == chords[earlier]
    assert all(chords[bar] == chords[earlier] for bar, earlier in varied)


def test_melody_grids_hold_one_line(tunes):
    from mmgen.symbolic.grid import CLASSES, COND, HOLD, PITCHES, REST, STEPS, grid_notes, phrases

    data = phrases(tunes, split="train")
    assert data.events.shape[1:] == (STEPS,) and data.cond.shape[1:] == (4, COND)
    assert data.events.max() < CLASSES and (data.events[~data.mask] == REST).all()
    assert np.isin(data.cond.sum(-1), [4.0, 3.0]).all()  # minor flag + meter + chord + density
    bars = grid_notes(np.array([5, HOLD, HOLD, HOLD, REST, 7, HOLD, REST] + [REST] * 8 + [HOLD, 9] + [REST] * 14), 2)
    assert [(n.onset_q, n.duration_q, n.pitch) for n in bars[0]] == [(0.0, 1.0, 62), (1.25, 0.5, 64)]
    assert [(n.onset_q, n.pitch) for n in bars[1]] == [(0.25, 66)]  # a hold after a rest is silence
    assert all(e < PITCHES or e in (HOLD, REST) for e in data.events.ravel())


@pytest.fixture(scope="module", params=GRID_FAMILIES)
def tiny_grid_model(request, tunes, tmp_path_factory):
    from mmgen.symbolic.grid_models import GridConfig
    from mmgen.training.grid import train

    family = request.param
    root = tmp_path_factory.mktemp("grid")
    config = GridConfig(family, hidden=32, latent=8, layers=1, sample_steps=4)
    info = train(family, root / f"symbolic-{family}", steps=3, batch=8, seed=0, resume=False, config=config,
                 lr=1e-3, collections=("ryans",), log_every=1, pieces=tunes)
    return family, root, info


def test_grid_training_saves_and_the_decoder_honours_the_plan(tiny_grid_model, use_models):
    from mmgen.eval.symbolic import melody_of

    family, root, info = tiny_grid_model
    out = root / f"symbolic-{family}"
    assert (out / "model.safetensors").is_file() and (out / "README.md").is_file()
    assert info["steps"] == 3 and "step 3/3" in (out / "train.log").read_text()
    use_models(root)
    decoder = registry.get("decoder", f"symbolic-{family}")
    for key, meter in (("D minor", "3/4"), ("Bb major", "6/8"), ("E major", "4/4")):
        plan = _plan(key, meter, duration_s=16.0)
        score = decoder.decode(plan, seed=4)
        assert score.end_s == pytest.approx(16.0) and score.meter == meter
        bars = decoder.melody(plan, ["I"] * plan.total_bars, seed=4)
        assert len(bars) == plan.total_bars
        bar_q = parse_meter(meter).beats_per_bar * parse_meter(meter).quarters_per_beat
        assert all(n.onset_q + n.duration_q <= bar_q + 1e-6 for notes in bars for n in notes)
        final = bars[-1]
        assert len(final) == 1 and final[0].pitch % 12 == parse_key(key).tonic_pc and final[0].duration_q == bar_q
        melody = melody_of(score, plan)
        assert melody and melody[-1][2] % 12 == parse_key(key).tonic_pc
    plan = _plan(duration_s=16.0)
    assert decoder.decode(plan, seed=1).to_midi_bytes() == decoder.decode(plan, seed=1).to_midi_bytes()


def test_vae_blends_from_one_seed_to_another(tiny_grid_model, use_models):
    family, root, _ = tiny_grid_model
    if family != "vae":
        pytest.skip("interpolation is the VAE's")
    use_models(root)
    decoder = registry.get("decoder", "symbolic-vae")
    plan = _plan(duration_s=40.0, meter="4/4", key="C major", prompt="a pop song")
    chords = ["I", "IV", "V", "I"] * (plan.total_bars // 4 + 1)
    a, b = decoder.melody(plan, chords, seed=1), decoder.melody(plan, chords, seed=2)
    blend = decoder.melody(plan, chords, seed=1, blend_seed=2)
    assert blend[:4] == a[:4]  # the first phrase is seed 1's ...
    last = (plan.total_bars - 1) // 4 * 4
    assert blend[last:-1] == b[last:-1]  # ... the last (before the final bar) seed 2's


@pytest.mark.parametrize("family", FAMILIES + GRID_FAMILIES)
def test_shipped_checkpoint_loads_and_writes_music_offline(family):
    from mmgen.eval.symbolic import in_key_ratio, melody_of

    status = registry.availability("decoder", f"symbolic-{family}")
    assert status.ok, status.reason
    plan = _plan(key="A minor", meter="6/8", duration_s=30.0, prompt="a lively celtic jig")
    score = registry.get("decoder", f"symbolic-{family}").decode(plan, seed=0)
    melody = melody_of(score, plan)
    assert len(melody) >= plan.total_bars  # a tune, not a few stray notes
    assert in_key_ratio(melody, plan.key) > 0.85


def test_evaluation_command_writes_a_table(tmp_path):
    from mmgen.eval import symbolic

    out = tmp_path / "table.md"
    symbolic.main(["--plans", "1", "--seeds", "2", "--out", str(out)])
    text = out.read_text()
    assert "| composer |" in text and "| symbolic-transformer |" in text
    rows = [line for line in text.splitlines() if line.startswith("| composer")]
    in_key = float(rows[0].split("|")[5])
    assert 0.8 < in_key <= 1.0


@pytest.mark.parametrize("value, ok", [(7, True), ("12", True), ("", True), (-1, False), ("x", False), (1.5, False)])
def test_blend_seed_is_validated(value, ok):
    from mmgen.errors import InvalidRequest
    from mmgen.request import GenerationRequest, validate

    request = GenerationRequest(prompt="folk", blend_seed=value, seed=1)
    if ok:
        assert validate(request).blend_seed == (int(value) if value != "" else None)
    else:
        with pytest.raises(InvalidRequest, match="seed to blend into"):
            validate(request)


def test_cli_and_app_offer_the_learned_engines(tmp_path):
    import importlib
    import subprocess
    import sys

    import pretty_midi

    out = tmp_path / "blend.mid"
    done = subprocess.run([sys.executable, "-m", "mmgen", "generate", "--prompt", "calm piano", "--decoder",
                           "symbolic-vae", "--seed", "3", "--blend-seed", "9", "--duration", "12", "--out", str(out),
                           "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    melody = [i for i in pretty_midi.PrettyMIDI(str(out)).instruments if i.name == "melody"]
    assert melody and len(melody[0].notes) >= 4
    listed = subprocess.run([sys.executable, "-m", "mmgen", "decoders"], capture_output=True, text=True, timeout=120)
    for family in FAMILIES + GRID_FAMILIES:
        assert f"symbolic-{family}" in listed.stdout and "weights are missing" not in listed.stdout
    app = importlib.import_module("app")
    labels = dict((name, label) for label, name in app.decoder_choices()[0])
    assert labels["symbolic-transformer"].startswith("symbolic-transformer — Learned Transformer")


def test_a_midi_folder_becomes_training_data(tmp_path):
    """Your own MIDI files: meter, key (signature or estimated), melody = the top track, drums left
    out; a broken file is skipped; a model trains on them from the command line."""
    import pretty_midi

    from mmgen.training.midi_folder import midi_pieces
    from mmgen.training.sequence import main

    folder = tmp_path / "midi"
    folder.mkdir()
    for name, signature, key_number in (("waltz", (3, 4), 9), ("plain", None, None)):
        midi = pretty_midi.PrettyMIDI(initial_tempo=120)
        if signature:
            midi.time_signature_changes.append(pretty_midi.TimeSignature(*signature, 0))
        if key_number is not None:
            midi.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0))
        tune, bass, drums = (pretty_midi.Instrument(73), pretty_midi.Instrument(33),
                             pretty_midi.Instrument(0, is_drum=True))
        scale = [69, 71, 72, 74, 76, 77, 79, 81] if key_number == 9 else [60, 62, 64, 65, 67, 69, 71, 72]
        for i in range(48):  # 0.5 s = a quarter at 120 bpm
            tune.notes.append(pretty_midi.Note(90, scale[(i * 3) % 8], i * 0.5, i * 0.5 + 0.45))
            bass.notes.append(pretty_midi.Note(90, scale[0] - 24, i * 0.5, i * 0.5 + 0.45))
            drums.notes.append(pretty_midi.Note(90, 36, i * 0.5, i * 0.5 + 0.1))
        midi.instruments += [bass, drums, tune]
        midi.write(str(folder / f"{name}.mid"))
    (folder / "broken.mid").write_bytes(b"MThd not really")
    pieces = sorted(midi_pieces(folder), key=lambda p: p.title)
    assert [p.title for p in pieces] == ["plain", "waltz"]
    plain, waltz = pieces
    assert waltz.meter == "3/4" and (waltz.tonic_pc, waltz.mode) == (9, "major")
    assert plain.meter == "4/4" and (plain.tonic_pc, plain.mode) == (0, "major")  # estimated
    assert min(p for _, _, p in waltz.parts["melody"]) >= 69 and set(waltz.parts) == {"melody", "bass"}
    assert waltz.parts["melody"][1][:2] == [1.0, 0.9]  # seconds became quarter notes
    out = tmp_path / "model"
    main("transformer", ["--midi-folder", str(folder), "--collections", "", "--steps", "2", "--batch", "2",
                         "--dim", "32", "--layers", "1", "--heads", "2", "--context", "64", "--out", str(out)])
    assert "MIDI files of your own" in (out / "README.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--collections", "nope"], "unknown collection 'nope'"),
    (["--collections", ""], "nothing to train on"),
    (["--collections", "", "--midi-folder", "/no/such/folder"], "no such folder")])
def test_training_scripts_refuse_bad_data_plainly(tmp_path, capsys, args, message):
    from mmgen.training.grid import main

    with pytest.raises(SystemExit) as stopped:
        main("vae", args + ["--out", str(tmp_path / "out")])
    assert stopped.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing half-written
