"""Live music: a scripted session of several minutes with the real composer and FluidSynth.
Each change is measured in the audio of the bars after it; the chunks join without a gap or a
click; a note held across a chunk boundary sounds exactly as in one long render; memory stays flat."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pyloudnorm
import pytest

from mmgen.errors import InvalidRequest
from mmgen.eval.metrics import estimate_key, key_matches
from mmgen.eval.rhythm import own_tempo_bpm
from mmgen.live import LiveControls, LiveSession, live_availability
from mmgen.live.synth import RATE_HZ, StreamingSynth, Voice
from mmgen.music import parse_key

pytestmark = pytest.mark.skipif(not live_availability().ok, reason=live_availability().reason)
METER = pyloudnorm.Meter(RATE_HZ)

# bar at which each change is set (after that bar has been made): heard from the next bar
SCRIPT = {
    12: {"energy": 0.95},
    24: {"tempo_bpm": 96},
    40: {"key": "D major"},
    56: {"style": "calm solo piano for a puzzle game"},
    72: {"energy": 0.15},
}
BARS = 90


def lufs(audio: np.ndarray) -> float:
    return float(METER.integrated_loudness(audio.T.astype(np.float64)))


@pytest.fixture(scope="module")
def session_run():
    session = LiveSession(LiveControls(style="chiptune level music", energy=0.3), seed=4)
    tracemalloc.start()
    chunks, memory, kept = [], [], 0
    for chunk in session.chunks(BARS):
        chunks.append(chunk)
        kept += chunk.audio.nbytes  # what this test holds on to, not the session
        if chunk.index in SCRIPT:
            session.set(**SCRIPT[chunk.index])
        memory.append(tracemalloc.get_traced_memory()[0] - kept)
    tracemalloc.stop()
    session.close()
    return chunks, memory


def span(chunks, first: int, last: int) -> np.ndarray:
    return np.concatenate([c.audio for c in chunks[first:last]], axis=1)


def test_every_change_is_heard_from_the_next_bar(session_run):
    chunks, _ = session_run
    # energy 0.3 -> 0.95 after bar 12: bar 13 on is louder and the drums come in
    assert chunks[13].energy == 0.95 and chunks[12].energy == 0.3
    assert lufs(span(chunks, 13, 17)) > lufs(span(chunks, 8, 12)) + 4
    # tempo -> 96 BPM after bar 24: bar 25 ramps over the bar, then the bars last 96 BPM's
    assert chunks[25].transition == "ramp"
    before, after = chunks[24].duration_s, chunks[26].duration_s
    assert before < chunks[25].duration_s < after
    assert after == pytest.approx(chunks[26].beats * 60 / 96, abs=1 / RATE_HZ)
    measured = own_tempo_bpm(span(chunks, 26, 38), RATE_HZ, chunks[26].beats)
    assert measured == pytest.approx(96, rel=0.04) or measured == pytest.approx(192, rel=0.04)
    # key -> D major after bar 40: a pivot bar, then the new key is what the audio reads
    assert chunks[41].transition == "pivot" and chunks[42].key == "D major"
    found, _ = estimate_key(span(chunks, 42, 56), RATE_HZ)
    assert key_matches(found, parse_key("D major"), allow_relative=True)
    # style -> piano after bar 56, kept at the asked tempo and key
    assert chunks[57].style != chunks[56].style and chunks[57].key == "D major"
    # energy -> 0.15 after bar 72: the harmony alone, quieter
    assert lufs(span(chunks, 76, 80)) < lufs(span(chunks, 66, 70)) - 4


def test_the_chunks_join_without_gap_or_click(session_run):
    chunks, _ = session_run
    stream = np.concatenate([c.audio for c in chunks], axis=1)
    starts = [round(c.start_s * RATE_HZ) for c in chunks]
    assert starts == list(np.cumsum([0] + [c.audio.shape[-1] for c in chunks[:-1]]))  # no gap, no overlap
    jumps = np.abs(np.diff(stream, axis=1)).max(axis=0)
    loud = np.percentile(jumps, 99.99)
    for join in starts[1:]:
        assert jumps[join - 1] <= loud  # no step at a join beyond what the music itself does
        around = stream[:, join - 441 : join + 441]
        assert np.sqrt((around**2).mean()) > 10 ** (-50 / 20)  # the music goes on through it
    assert np.abs(stream).max() < 1.0 and np.isfinite(stream).all()


def test_memory_stays_flat(session_run):
    chunks, memory = session_run
    assert sum(c.duration_s for c in chunks) > 180  # several minutes
    settled = memory[20]
    assert max(memory[20:]) - settled < 4_000_000  # bytes: nothing piles up bar after bar


def test_a_note_held_over_a_chunk_boundary_sounds_as_in_one_render():
    events = [(100, 1, 0, 60, 100), (30_000, 1, 0, 67, 90), (60_000, 0, 0, 60, 0), (70_000, 0, 0, 67, 0)]
    whole_synth, split_synth = StreamingSynth(), StreamingSynth()
    for synth in (whole_synth, split_synth):
        synth.channel("pad", Voice(program=89, is_drum=False))
    whole = whole_synth.play(events, 100_000)
    cut = 44_100  # both notes sound across it
    first = split_synth.play([e for e in events if e[0] < cut], cut)
    second = split_synth.play([(e[0] - cut, *e[1:]) for e in events if e[0] >= cut], 100_000 - cut)
    assert np.abs(second[:, :1000]).max() > 0.01  # still sounding after the boundary
    np.testing.assert_array_equal(np.concatenate([first, second], axis=1), whole)


@pytest.mark.parametrize("engine", ["symbolic-transformer", "symbolic-lstm"])
def test_the_learned_engines_play_live(engine):
    session = LiveSession(LiveControls(style="folk tune", energy=0.7, key="D major", tempo_bpm=110), engine=engine)
    chunks = list(session.chunks(8))
    session.close()
    assert all(c.key == "D major" and c.tempo_bpm == 110 for c in chunks)
    found, _ = estimate_key(np.concatenate([c.audio for c in chunks], axis=1), RATE_HZ)
    assert key_matches(found, parse_key("D major"), allow_relative=True)


def test_wrong_controls_are_refused_plainly_and_change_nothing():
    session = LiveSession(LiveControls(style="lofi beat", energy=0.5))
    for change, words in (
        ({"energy": 3}, "energy must be from 0"),
        ({"tempo_bpm": 1000}, "BPM"),
        ({"key": "H major"}, "key"),
        ({"style": "   "}, "Say what to play"),
        ({"volume": 2}, "no control called volume"),
    ):
        with pytest.raises(InvalidRequest, match=words):
            session.set(**change)
    assert session.controls == LiveControls(style="lofi beat", energy=0.5)
    with pytest.raises(InvalidRequest, match="score engine"):
        LiveSession(engine="musicgen")
    session.close()
