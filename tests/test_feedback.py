"""The reward model: it learns a scripted preference from synthetic ratings (held-out pairs),
trains from the library by its command, puts the best-liked take first (best-of-N) and leans
only the plan's open choices (its tempo, the instrument of a part nobody chose) toward what was
liked, saying so."""

from __future__ import annotations

import json
import random

import pytest

import mmgen.pipeline  # noqa: F401 (importing the pipeline registers the engines)
from mmgen.feedback.features import tempo_position
from mmgen.feedback.reward import RewardModel, accuracy, fit, model_path, taste_model

PROMPTS = (
    "lofi beat for studying",
    "calm piano for a rainy vlog",
    "upbeat pop for a product video",
    "a folk tune for a hike",
    "epic trailer music",
    "jazz for a cafe",
)


def _reports(count: int, seed: int = 0) -> list[dict]:
    """Reports of planned takes (plan, engine, request) over prompts and tempos; fast: no audio."""
    from mmgen.pipeline import make_plan
    from mmgen.request import GenerationRequest

    rng = random.Random(seed)
    reports = []
    for i in range(count):
        request = GenerationRequest(
            prompt=PROMPTS[i % len(PROMPTS)], duration_s=20, seed=i, tempo_bpm=rng.uniform(60, 160)
        )
        plan = make_plan(request)
        reports.append({"plan": plan.to_dict(), "decoder": "composer", "request": request.to_dict()})
    return reports


def likes_slow(report: dict) -> float:
    """The scripted taste: the slow end of each style's tempo range."""
    plan = report["plan"]
    return -tempo_position(plan["style"], plan["tempo_bpm"], plan["meter"])


def _pairs(reports, taste=likes_slow, count=80, seed=1):
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < count:
        a, b = rng.sample(reports, 2)
        if taste(a) != taste(b):
            pairs.append((a, b) if taste(a) > taste(b) else (b, a))
    return pairs


@pytest.fixture(scope="module")
def reports():
    return _reports(48)


def test_the_reward_model_learns_a_scripted_preference(reports):
    train, test = reports[:32], reports[32:]  # held-out takes, never in a training pair
    model = fit(_pairs(train, count=80), l2=0.5)
    assert accuracy(model, _pairs(test, count=60, seed=2)) > 0.85
    assert model.tempo_lean() == 0.0  # the slow end of the range
    assert model.liked(2)[0][0].startswith("tempo_position")
    coin = random.Random(7)
    shuffled = [(a, b) if coin.random() < 0.5 else (b, a) for a, b in _pairs(train, count=80)]
    assert 0.25 < accuracy(fit(shuffled), _pairs(test, count=60, seed=2)) < 0.75  # chance: nothing to learn


def test_the_command_trains_from_the_library_and_the_app_finds_the_model(reports, tmp_path, monkeypatch, capsys):
    from mmgen.library import Library
    from mmgen.training.reward import main

    monkeypatch.setenv("MMGEN_DATA_DIR", str(tmp_path / "data"))
    store, mine = Library(), "a" * 32
    kept = {id(r): store.add(mine, r, []).id for r in reports}
    for better, worse in _pairs(reports, count=40):
        store.prefer(mine, kept[id(better)], kept[id(worse)])
    with pytest.raises(SystemExit) as stopped:
        main(["--min-pairs", "100"])
    assert stopped.value.code == 1 and "at least 100 are needed" in capsys.readouterr().err
    main([])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["scope"] for line in lines] == ["overall", "library"]
    assert all(line["held_out_accuracy"] is None or line["held_out_accuracy"] > 0.7 for line in lines)
    assert model_path().is_file() and model_path(mine).is_file() and mine not in model_path(mine).name
    assert taste_model(mine).scope == "library" and taste_model("b" * 32).scope == "overall"


def test_best_of_n_puts_the_best_liked_take_first_and_the_open_tempo_leans(reports, tmp_path):
    from mmgen.pipeline import generate_variations, make_plan
    from mmgen.request import GenerationRequest

    stepwise = RewardModel(["score_melody_stepwise"], [5.0])  # a taste for stepwise melodies
    request = GenerationRequest(prompt="lofi beat for studying", duration_s=8, seed=3, variations=3)
    tracks = generate_variations(request, taste=stepwise)
    rewards = [t.details["reward"] for t in tracks]
    assert rewards == sorted(rewards, reverse=True) and len(set(rewards)) > 1
    assert rewards[0] == pytest.approx(5.0 * tracks[0].details["score"]["melody_stepwise"], abs=1e-3)
    model = fit(_pairs(reports, count=80), l2=0.5)
    assert "reward" not in generate_variations(request)[0].details  # no taste: CLAP or seed order
    lofi = GenerationRequest(prompt="lofi beat for studying", duration_s=20, seed=1)
    plain, leaned = make_plan(lofi), make_plan(lofi, taste=model)
    assert leaned.tempo_bpm < plain.tempo_bpm and "leaning toward the slower tempos" in leaned.reasons["tempo"]
    asked = make_plan(GenerationRequest(prompt="lofi beat for studying", duration_s=20, seed=1, tempo_bpm=120), model)
    assert asked.tempo_bpm == pytest.approx(120, abs=3) and "leaning" not in asked.reasons["tempo"]  # never overrides


def test_an_open_part_gets_the_instrument_a_user_liked_and_a_chosen_one_never_changes():
    from mmgen.pipeline import make_plan
    from mmgen.request import GenerationRequest

    rng, reports = random.Random(3), _reports(36)
    for report in reports:  # the same takes, their chords played by one of three instruments
        report["plan"]["instruments"]["chords"] = rng.choice([0, 4, 88])  # piano, electric piano, new age pad
    likes_electric_piano = lambda report: report["plan"]["instruments"]["chords"] == 4
    model = fit(_pairs(reports, taste=likes_electric_piano, count=60), l2=0.5)

    def plan(prompt: str, taste=model):
        return make_plan(GenerationRequest(prompt=prompt, duration_s=20, seed=1), taste)

    plain, leaned = plan("trap beat", None), plan("trap beat")
    assert plain.instruments["chords"] == 88 and leaned.instruments["chords"] == 4
    assert {r: p for r, p in leaned.instruments.items() if r != "chords"} == {
        r: p for r, p in plain.instruments.items() if r != "chords"
    }
    assert "electric piano rather than new age synth pad, as you have liked it" in leaned.reasons["instruments"]
    assert "用电钢琴代替钢琴" in plan("hiphop 节拍").reasons["instruments"]  # said in the description's language
    assert plan("trap beat with vibraphone and piano").instruments["chords"] == 0  # asked for: never overridden
    refused = plan("trap beat, no electric piano")
    assert refused.instruments["chords"] == 88 and "rather than" not in refused.reasons["instruments"]
    assert plan("metal riff").instruments == plan("metal riff", None).instruments  # no electric piano in metal


def test_a_model_round_trips_and_a_damaged_file_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("MMGEN_DATA_DIR", str(tmp_path))
    model = RewardModel(["tempo_position", "style=lofi"], [-1.0, 0.5], pairs=9)
    model.save(model_path())
    again = taste_model()
    assert again.weights == [-1.0, 0.5] and again.pairs == 9
    model_path().write_text("{not json")
    assert taste_model() is None
