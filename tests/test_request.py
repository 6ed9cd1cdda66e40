import math

import pytest

from mmgen.errors import InvalidRequest
from mmgen.music import parse_key, parse_meter
from mmgen.request import GenerationRequest, validate


def test_valid_request_is_normalised():
    request = validate(
        GenerationRequest(
            prompt="  lofi beat  ", duration_s="12.5", tempo_bpm="96", key="bb major", meter=" 3/4 ", seed="7"
        )
    )
    assert request.prompt == "lofi beat"
    assert request.duration_s == 12.5 and request.tempo_bpm == 96.0
    assert request.key == "Bb major" and request.meter == "3/4" and request.seed == 7


def test_missing_seed_is_drawn_and_recorded():
    assert 0 <= validate(GenerationRequest(duration_s=10)).seed < 2**32


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("duration_s", 4.9, "between 5 and 600"),
        ("duration_s", 601, "between 5 and 600"),
        ("duration_s", math.nan, "finite"),
        ("duration_s", "ten", "must be a number"),
        ("tempo_bpm", 29, "between 30 and 300"),
        ("tempo_bpm", 301, "between 30 and 300"),
        ("key", "H major", "don't know the key"),
        ("key", "D dorian", "don't know the key"),
        ("meter", "7/8", "can't write music in"),
        ("seed", -1, "whole number"),
        ("seed", 1.5, "whole number"),
        ("loudness_lufs", 0, "between -30 and -6"),
        ("prompt", "x" * 2001, "under 2,000"),
        ("prompt", "lofi\x00beat", "control character"),
        ("prompt", "lofi \ud800 beat", "unpaired surrogate"),
        ("prompt", "bell\x07", "control character"),
    ],
)
def test_bad_input_gets_a_plain_message(field, value, words):
    request = GenerationRequest(prompt="lofi", duration_s=10)
    setattr(request, field, value)
    with pytest.raises(InvalidRequest, match=words):
        validate(request)


def test_empty_and_whitespace_prompts_are_allowed():
    assert validate(GenerationRequest(prompt="   \n ", duration_s=10)).prompt == ""


def test_non_latin_text_is_fine():
    text = "música tranquila 静かな音楽 موسيقى هادئة 🎹"
    assert validate(GenerationRequest(prompt=text, duration_s=10)).prompt == text


@pytest.mark.parametrize(
    "text, name",
    [
        ("D minor", "D minor"),
        ("Dm", "D minor"),
        ("B flat major", "Bb major"),
        ("Bb", "Bb major"),
        ("F#m", "F# minor"),
        ("f sharp minor", "F# minor"),
        ("c", "C minor"),
        ("Eb maj", "Eb major"),
    ],
)
def test_key_spellings(text, name):
    assert parse_key(text).name == name


def test_meters():
    assert parse_meter("6/8").beats_per_bar == 2 and parse_meter("6/8").is_compound
    assert parse_meter("3/4").beats_per_bar == 3 and not parse_meter("3/4").is_compound
    assert parse_meter("12/8").quarters_per_beat == 1.5
