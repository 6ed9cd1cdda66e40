"""Learning from users: fine-tuning every learned family from its shipped weights on a MIDI folder
(early stopping, your own weights beside the shipped ones, played with --weights), and DPO of the
sequence models on rated takes (a scripted preference moves the way the ratings point)."""

from __future__ import annotations

import hashlib
import json

import pytest

import mmgen.pipeline  # noqa: F401 (importing the pipeline registers the engines)
from mmgen import registry
from mmgen.errors import InvalidRequest

ALL_FAMILIES = ("transformer", "lstm", "vae", "gan", "diffusion")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A library and personal checkpoints of this test's own."""
    from mmgen.decoders import grid, learned

    folder = tmp_path / "data"
    monkeypatch.setenv("MMGEN_DATA_DIR", str(folder))
    registry._INSTANCES.clear()
    yield folder
    registry._INSTANCES.clear()
    learned.load_folder.cache_clear()
    grid.load_folder.cache_clear()


def midi_folder(folder, count: int = 6):
    """`count` small real MIDI files: a stepwise tune over a bass, in 4/4 and 3/4."""
    import pretty_midi

    folder.mkdir()
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    for n in range(count):
        midi = pretty_midi.PrettyMIDI(initial_tempo=100 + 10 * n)
        midi.time_signature_changes.append(pretty_midi.TimeSignature(3 if n % 2 else 4, 4, 0))
        tune, bass = pretty_midi.Instrument(73), pretty_midi.Instrument(33)
        for i in range(64):
            start = i * 0.3
            tune.notes.append(pretty_midi.Note(90, scale[(i * (n + 1) + i // 4) % 8], start, start + 0.28))
            if i % 4 == 0:
                bass.notes.append(pretty_midi.Note(80, scale[(i // 4) % 8] - 24, start, start + 1.1))
        midi.instruments += [tune, bass]
        midi.write(str(folder / f"tune{n}.mid"))
    return folder


def _digest(folder) -> str:
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_fine_tuning_from_the_shipped_weights_saves_reloads_and_plays(family, data_dir, tmp_path, capsys):
    from mmgen.checkpoints import model_dir, personal_dir, weight_choices
    from mmgen.cli import main as cli
    from mmgen.training import grid, sequence

    shipped = model_dir(family)
    before = _digest(shipped)
    train = sequence.main if family in ("transformer", "lstm") else grid.main
    folder = midi_folder(tmp_path / "midi")
    train(
        family,
        ["--init-from", "shipped", "--midi-folder", str(folder), "--steps", "4", "--batch", "4"]
        + ["--eval-every", "2", "--patience", "1", "--name", "mine"],
    )
    out = personal_dir("mine", family)
    info = json.loads((out / "config.json").read_text())
    assert _digest(shipped) == before  # the shipped weights are never written
    assert info["init_from"] == str(shipped) and info["collections"] == ["midi"]  # the folder alone
    if family == "gan":  # its critic starts afresh: no early stopping
        assert "best_step" not in info and info["stopped_at_step"] == 4
    else:
        assert info["evaluations"][0][0] == 0 and info["best_step"] in [s for s, _ in info["evaluations"]]
    assert info["lr"] == pytest.approx(json.loads((shipped / "config.json").read_text())["lr"] * 0.1, rel=1e-6)
    assert "Fine-tuned from the weights" in (out / "README.md").read_text()
    assert weight_choices(f"symbolic-{family}") == ["shipped", "mine"]
    report = tmp_path / "take.json"
    code = cli(
        [
            "generate",
            "--prompt",
            "a folk tune",
            "--decoder",
            f"symbolic-{family}",
            "--weights",
            "mine",
            "--duration",
            "8",
            "--seed",
            "2",
        ]
        + ["--out", str(tmp_path / "take.wav"), "--report", str(report)]
    )
    assert code in (0, None) and (tmp_path / "take.wav").stat().st_size > 10_000
    assert json.loads(report.read_text())["request"]["weights"] == "mine"


def test_early_stopping_keeps_the_best_weights():
    import torch

    from mmgen.training.runs import EarlyStopping

    model = torch.nn.Linear(2, 1)
    figures = iter([3.0, 2.0, 2.5, 2.6])
    stopper = EarlyStopping(model, lambda: float(model.weight[0, 0]), patience=2, every=10)
    stops = []
    for step in range(40):
        if step % 10 == 0:
            with torch.no_grad():
                model.weight.fill_(next(figures))
        stops.append(stopper.should_stop(step))
    assert [s for s in range(40) if stops[s]] == [30]  # two evaluations without improvement after step 10
    stopper.restore()
    assert model.weight.flatten().tolist() == [2.0, 2.0] and stopper.record()["best_step"] == 10


def test_fine_tuning_never_writes_over_the_shipped_weights(data_dir, tmp_path, capsys):
    from mmgen.checkpoints import model_dir
    from mmgen.training.grid import main

    with pytest.raises(SystemExit) as stopped:
        main("vae", ["--init-from", "shipped", "--out", str(model_dir("vae")), "--steps", "1"])
    assert stopped.value.code == 2 and "holds the shipped symbolic-vae weights" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main("vae", ["--init-from", str(tmp_path / "nothing"), "--steps", "1"])
    assert stopped.value.code == 2 and "cannot read the weights to start from" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main("vae", ["--init-from", str(model_dir("gan")), "--steps", "1"])
    assert stopped.value.code == 2 and "holds symbolic-gan weights, not symbolic-vae" in capsys.readouterr().err


@pytest.mark.parametrize(
    "decoder, weights, message",
    [
        ("symbolic-lstm", "nope", "There are no weights named 'nope' for symbolic-lstm; there are: shipped"),
        ("composer", "mine", "composer plays only its own weights"),
        ("symbolic-lstm", "../x", "A name for your own weights"),
    ],
)
def test_asking_for_weights_that_are_not_there_is_a_plain_error(decoder, weights, message, data_dir):
    from mmgen.request import GenerationRequest, validate

    with pytest.raises(InvalidRequest, match=message.replace("(", r"\(")):
        validate(GenerationRequest(prompt="a tune", decoder=decoder, weights=weights))
    assert validate(GenerationRequest(prompt="a tune", decoder=decoder)).weights == "shipped"


# ---- DPO ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_transformer(tmp_path_factory):
    """A tiny Transformer trained a few steps on real tunes, as a reference to tune."""
    from mmgen.symbolic.models import SequenceConfig
    from mmgen.symbolic.tokenizer import LeadSheetTokenizer
    from mmgen.training import corpus
    from mmgen.training.sequence import train

    pieces = [corpus.Piece(**p) for item in corpus.sources(("ryans",))[:30] for p in corpus.parse_file(item)]
    out = tmp_path_factory.mktemp("reference") / "symbolic-transformer"
    config = SequenceConfig("transformer", len(LeadSheetTokenizer()), dim=32, layers=2, heads=2, context=96)
    train("transformer", out, 30, 8, 0, False, config, 3e-3, ("ryans",), log_every=10, pieces=pieces)
    return out


def _plans(count: int, offset: int = 0):
    from mmgen.pipeline import make_plan
    from mmgen.request import GenerationRequest

    keys, meters = ("C major", "A minor", "G major", "D minor"), ("4/4", "3/4")
    return [
        make_plan(
            GenerationRequest(
                prompt="a folk tune", duration_s=12, key=keys[(i + offset) % 4], meter=meters[i % 2], seed=i
            )
        )
        for i in range(count)
    ]


def test_dpo_moves_a_scripted_preference_the_way_the_ratings_point(tiny_transformer, data_dir, monkeypatch):
    from mmgen.checkpoints import personal_dir
    from mmgen.eval.preference import rater_pairs, stepwise, takes, win_rate
    from mmgen.training.dpo import tune

    monkeypatch.setenv("MMGEN_SYMBOLIC_MODELS", str(tiny_transformer.parent))
    registry._INSTANCES.clear()
    decoder = registry.get("decoder", "symbolic-transformer")
    pairs = rater_pairs(takes(decoder, _plans(10), range(6)))
    assert len(pairs) >= 30
    out = personal_dir("stepwise", "transformer")
    record = tune("transformer", pairs, tiny_transformer, out, steps=40, batch=8, lr=2e-3, beta=0.1)
    assert record["dpo"]["pairs"] == len(pairs) and record["dpo"]["final"]["acc"] > 0.8
    held_out = _plans(8, offset=1)
    seeds = range(100, 104)
    before = [stepwise(lead) for leads in takes(decoder, held_out, seeds) for lead in leads]
    after = [stepwise(lead) for leads in takes(decoder, held_out, seeds, weights="stepwise") for lead in leads]
    assert sum(after) / len(after) > sum(before) / len(before) + 0.05
    assert win_rate(after, before) > 0.6
    assert "Tuned by DPO" in (out / "README.md").read_text()


def test_dpo_reads_its_pairs_from_the_library_and_the_command_writes_your_weights(data_dir, tmp_path, capsys):
    from mmgen.checkpoints import model_dir, personal_dir
    from mmgen.library.store import Library
    from mmgen.pipeline import generate
    from mmgen.request import GenerationRequest
    from mmgen.training.dpo import library_pairs, main

    store = Library()
    me, other = "library-me-0001", "library-other-1"
    kept = []
    for seed in range(4):
        track = generate(GenerationRequest(prompt="a folk tune", decoder="symbolic-lstm", duration_s=8, seed=seed))
        assert track.report()["decoder_notes"]["lead_sheet"]["weights"] == "shipped"
        kept.append(store.add(me, track.report(), []))
    composed = store.add(me, generate(GenerationRequest(prompt="a folk tune", duration_s=8)).report(), [])
    store.rate(me, kept[0].id, "like")
    store.rate(me, kept[1].id, "dislike")
    store.rate(me, kept[2].id, "dislike")
    store.rate(me, composed.id, "dislike")  # a composer take has no lead-sheet tokens: not a pair
    store.prefer(me, kept[3].id, kept[2].id)
    theirs = store.add(other, kept[1].report, [])
    store.rate(other, theirs.id, "dislike")  # another library's dislike is not paired with my like
    pairs = library_pairs(store, "lstm", me)
    assert sorted(p.source for p in pairs) == ["like/dislike", "like/dislike", "prefer"]
    assert len(library_pairs(store, "lstm")) == 3 and library_pairs(store, "transformer") == []
    tokens = kept[3].report["decoder_notes"]["lead_sheet"]["tokens"]
    assert any(p.chosen == tokens for p in pairs)
    before = _digest(model_dir("lstm"))
    main(["--family", "lstm", "--library", me, "--steps", "2", "--batch", "2"])
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["pairs"] == 3 and line["weights"] == "liked"
    assert (personal_dir("liked", "lstm") / "model.safetensors").is_file() and _digest(model_dir("lstm")) == before
    with pytest.raises(SystemExit) as stopped:
        main(["--family", "transformer", "--steps", "2"])
    assert stopped.value.code == 1 and "no rated pairs of symbolic-transformer takes" in capsys.readouterr().err
