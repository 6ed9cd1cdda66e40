"""A live session: music without end that follows its controls from the next bar on.

    session = LiveSession(LiveControls(style="chiptune level music", energy=0.4))
    for chunk in session.paced():    # one bar at a time, float32 [2, n] at 44.1 kHz, just in time
        play(chunk.audio)
        if boss_appears:
            session.set(energy=0.95)  # any thread, any moment: heard from the next bar

Phrases are written a few bars ahead by the engine; a change of energy re-writes the rest of the
phrase at the new energy (same harmony), a change of style starts a new phrase, a change of
tempo ramps over one bar, and a change of key goes through a pivot bar (writer.pivot_bar).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from ..errors import InvalidRequest
from ..music import parse_key
from ..request import TEMPO_RANGE_BPM
from ..text_checks import check_text
from .synth import RATE_HZ, StreamingSynth
from .writer import BarNotes, LiveControls, PhraseWriter, pivot_bar

HANDOVER_MARGIN_S = 0.5  # paced(): a bar is ready this long before it is due (the network, the player's buffer)
COST_WINDOW_BARS = 16  # paced() plans for the slowest of this many recent bars (a phrase written among them)


def target_lufs(energy: float) -> float:
    """The loudness a bar is levelled to: -22 LUFS calm .. -14 LUFS (streaming loudness) intense."""
    return -22.0 + 8.0 * energy


@dataclass
class LiveChunk:
    """One bar of the session: its audio float32 `[2, n]`, where it sits, and what it plays."""

    audio: np.ndarray
    index: int  # bars since the session started
    start_s: float  # its first sample's time in the session
    tempo_bpm: float  # at its last beat (a ramp bar starts at the previous tempo)
    beats: int
    key: str
    style: str
    energy: float
    controls: LiveControls  # the controls it was written for
    transition: str = ""  # "", "pivot" (into a new key), "ramp" (to a new tempo), or "pivot and ramp"

    @property
    def duration_s(self) -> float:
        return self.audio.shape[-1] / RATE_HZ


def checked(controls: LiveControls) -> LiveControls:
    """The controls, or InvalidRequest saying what is wrong with them."""
    style = check_text(controls.style or "", "style").strip()
    if not style:
        raise InvalidRequest("Say what to play: a style or a mood, such as 'chiptune' or 'calm piano'.")
    try:
        energy = float(controls.energy)
    except (TypeError, ValueError):
        raise InvalidRequest(f"The energy must be a number from 0 to 1, not {controls.energy!r}.") from None
    if not 0.0 <= energy <= 1.0 or math.isnan(energy):
        raise InvalidRequest(f"The energy must be from 0 (calm) to 1 (intense), not {energy:g}.")
    tempo = controls.tempo_bpm
    if tempo not in (None, 0):
        low, high = TEMPO_RANGE_BPM
        if not isinstance(tempo, int | float) or not low <= tempo <= high:
            raise InvalidRequest(f"The tempo must be from {low:g} to {high:g} BPM, not {tempo!r}.")
    key = controls.key or None
    if key:
        parse_key(key)  # raises the plain message
    return LiveControls(style=style, energy=energy, tempo_bpm=float(tempo) if tempo else None, key=key)


class LiveSession:
    """Yields the music a bar at a time; `set()` takes control changes from any thread."""

    def __init__(self, controls: LiveControls | None = None, engine: str = "composer", seed: int = 0) -> None:
        self._controls = checked(controls or LiveControls())
        self._lock = threading.Lock()
        self._writer = PhraseWriter(engine, seed)
        self._synth = StreamingSynth()
        self._queue: list[BarNotes] = []  # the written bars not yet played
        self._written_for: LiveControls | None = None
        self._phrase, self._position, self._phrase_length = -1, 0, 0
        self._tempo: float | None = None  # at the end of the last bar made
        self._key = None
        self._beat = 0.0  # counted beats made so far
        self._time_s = 0.0
        self._index = 0
        self._offs: list[tuple[float, int, int]] = []  # (beat, channel, pitch) of notes still held
        self._costs: deque[float] = deque(maxlen=COST_WINDOW_BARS)  # seconds each recent bar took to make

    @property
    def controls(self) -> LiveControls:
        with self._lock:
            return self._controls

    def set(self, **changes) -> LiveControls:
        """Change style, energy, tempo_bpm or key (None: the style's own); heard from the next bar
        made. Raises InvalidRequest, leaving the controls as they were, when a value is wrong."""
        unknown = set(changes) - {"style", "energy", "tempo_bpm", "key"}
        if unknown:
            raise InvalidRequest(f"Live music has no control called {', '.join(sorted(unknown))}.")
        with self._lock:
            self._controls = checked(replace(self._controls, **changes))
            return self._controls

    def chunks(self, bars: int | None = None) -> Iterator[LiveChunk]:
        """The next `bars` bars (None: without end)."""
        made = 0
        while bars is None or made < bars:
            yield self.next_bar()
            made += 1

    @property
    def next_start_s(self) -> float:
        """Where the next bar made will start, in seconds of the session's music."""
        return self._time_s

    @property
    def lead_s(self) -> float:
        """How long before a bar is due to start making it: the slowest recent bar (one that
        writes a phrase, as a control change does) plus HANDOVER_MARGIN_S."""
        return HANDOVER_MARGIN_S + max(self._costs, default=0.0)

    def paced(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> Iterator[LiveChunk]:
        """Bars without end for a player that plays them back to back from the first one: each
        bar is begun `lead_s` before it is due, so a change made until then is in it (heard from
        the next bar, or the one after when made within `lead_s` of a bar line)."""
        started = None
        while True:
            if started is not None:
                sleep(max(0.0, started + self.next_start_s - self.lead_s - clock()))
            chunk = self.next_bar()
            if started is None:
                started = clock()  # playback begins with the first bar
            yield chunk

    def next_bar(self) -> LiveChunk:
        began = time.perf_counter()
        controls = self.controls
        if controls != self._written_for or not self._queue:
            self._write(controls)
        bar = self._queue.pop(0)
        self._position += 1
        audio = self._render(bar)
        chunk = LiveChunk(
            audio=audio,
            index=self._index,
            start_s=self._time_s,
            tempo_bpm=bar.tempo_end,
            beats=bar.beats,
            key=bar.key.name,
            style=bar.style,
            energy=bar.energy,
            controls=controls,
            transition=bar.transition,
        )
        self._index += 1
        self._time_s += self._bar_s(bar, bar.beats)
        self._beat += bar.beats
        self._tempo, self._key = bar.tempo_end, bar.key
        self._costs.append(time.perf_counter() - began)
        return chunk

    def close(self) -> None:
        self._synth.close()

    # ---- writing ------------------------------------------------------------------------

    def _write(self, controls: LiveControls) -> None:
        """Fill the queue for `controls`: the rest of this phrase again when only the energy
        changed, else a new phrase (after a pivot bar when the key moves, its first bar ramping
        when the tempo does)."""
        old = self._written_for
        only_energy = (
            old is not None
            and self._queue
            and (old.style, old.tempo_bpm, old.key) == (controls.style, controls.tempo_bpm, controls.key)
        )
        if not only_energy:
            self._phrase += 1
            self._position = 0
        same_style = old is not None and old.style == controls.style  # else the new style picks its own
        tempo = controls.tempo_bpm or (self._tempo if same_style else None)
        key = controls.key or (self._key.name if same_style and self._key else None)
        plan = self._writer.plan(controls, tempo, key, self._phrase)
        bars = self._writer.bars(plan, controls, self._phrase)
        self._phrase_length = len(bars)
        bars = bars[self._position :] if only_energy else bars
        if not only_energy and self._key is not None and (plan.key != self._key):
            bars.insert(0, pivot_bar(self._key, bars[0]))
        if self._tempo is not None and abs(bars[0].tempo_start - self._tempo) > 1e-6:
            bars[0] = replace(
                bars[0], tempo_start=self._tempo, transition=" and ".join(filter(None, (bars[0].transition, "ramp")))
            )
        self._queue = bars
        self._written_for = controls

    # ---- rendering ----------------------------------------------------------------------

    @staticmethod
    def _bar_s(bar: BarNotes, beat: float) -> float:
        """Seconds from the bar's downbeat to `beat` in it, the tempo moving linearly over the bar."""
        t0, t1 = bar.tempo_start, bar.tempo_end
        if abs(t1 - t0) < 1e-9:
            return beat * 60.0 / t0
        rate = (t1 - t0) / bar.beats  # BPM per beat
        return 60.0 / rate * math.log((t0 + rate * beat) / t0)

    def _render(self, bar: BarNotes) -> np.ndarray:
        first = int(round(self._time_s * RATE_HZ))
        length = int(round((self._time_s + self._bar_s(bar, bar.beats)) * RATE_HZ)) - first

        def offset(beat_in_bar: float) -> int:
            return int(round((self._time_s + self._bar_s(bar, beat_in_bar)) * RATE_HZ)) - first

        events, held = [], []
        for beat, channel, pitch in self._offs:
            if beat - self._beat < bar.beats:
                events.append((offset(max(0.0, beat - self._beat)), 0, channel, pitch, 0))
            else:
                held.append((beat, channel, pitch))
        for role, voice, pitch, start, length_beats, velocity in bar.notes:
            channel = self._synth.channel(role, voice)
            events.append((offset(start), 1, channel, pitch, velocity))
            end = start + length_beats
            if end < bar.beats:
                events.append((offset(end), 0, channel, pitch, 0))
            else:
                held.append((self._beat + end, channel, pitch))
        self._offs = held
        return self._synth.render(events, length, target_lufs(bar.energy))
