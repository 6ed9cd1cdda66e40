"""Drum grooves. A 4/4 groove is one bar of sixteenth steps per drum, written as a string:
"X" accent, "x" normal hit, "o" ghost note, "." rest. Three layers by energy: `low`, `mid`, `high`
(each adds to or replaces the one before; the composer picks the level from the bar's energy
relative to the piece's peak). Other meters get a groove built from the meter."""

from __future__ import annotations

import random

from ...music import Meter
from ...tokens import Part

KICK, SIDE_STICK, SNARE, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 36, 37, 38, 39, 42, 44, 46
FLOOR_TOM, LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE, TAMBOURINE, SHAKER = 41, 45, 47, 50, 49, 51, 54, 70
VELOCITY = {"X": 112, "x": 92, "o": 52}

Layer = dict[int, str]  # GM drum note -> pattern
GROOVES: dict[str, dict[str, Layer]] = {
    "lofi": {
        "low": {KICK: "X......x..X.....", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
        "mid": {SNARE: "....X.......X..."},
        "high": {CLOSED_HAT: "x.oxx.o.x.oxx.ox", SHAKER: "..o...o...o...o."},
    },
    "pop": {
        "low": {KICK: "X.......X.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {KICK: "X.....x.X.......", SNARE: "....X.......X...", CLAP: "....x.......x..."},
        "high": {CLOSED_HAT: "xoxoxoxoxoxoxoxo", OPEN_HAT: "..............x."},
    },
    "rock": {
        "low": {KICK: "X.......X.x.....", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "....X.......X..."},
        "high": {CLOSED_HAT: "................", RIDE: "X.x.X.x.X.x.X.x.", KICK: "X.....x.X.x....."},
    },
    "house": {
        "low": {KICK: "X...X...X...X...", CLOSED_HAT: "o.o.o.o.o.o.o.o."},
        "mid": {CLAP: "....X.......X...", OPEN_HAT: "..x...x...x...x."},
        "high": {CLOSED_HAT: "oooooooooooooooo", SHAKER: "o.o.o.o.o.o.o.o."},
    },
    "dnb": {
        "low": {CLOSED_HAT: "x.x.x.x.x.x.x.x.", RIDE: "x...x...x...x..."},
        "mid": {KICK: "X.........X.....", SNARE: "....X.......X..."},
        "high": {SNARE: "....X..o.o..X..o", CLOSED_HAT: "xoxoxoxoxoxoxoxo", KICK: "X.........XX...."},
    },
    "hiphop": {
        "low": {KICK: "X......X..X.....", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "....X.......X...", CLAP: "....x.......x..."},
        "high": {CLOSED_HAT: "x.xxx.x.x.xxx.xo", KICK: "X......X..X..x.."},
    },
    "trailer": {
        "low": {FLOOR_TOM: "X.......X......."},
        "mid": {FLOOR_TOM: "X...x...X...x...", KICK: "X.......X.......", LOW_TOM: "......o.......o."},
        "high": {LOW_TOM: "..x...x...x...xx", SNARE: "....X.......X..x", CRASH: "X..............."},
    },
    "jazz": {
        "low": {RIDE: "X...x.x.X...x.x.", PEDAL_HAT: "....x.......x..."},
        "mid": {KICK: "o...o...o...o..."},
        "high": {SNARE: "......o......o.o", RIDE: "X...x.x.X...x.xx"},
    },
    "folk": {
        "low": {TAMBOURINE: "x.o.x.o.x.o.x.o."},
        "mid": {KICK: "X.......X.......", SIDE_STICK: "....x.......x..."},
        "high": {SNARE: "....X.......X...", SIDE_STICK: "................", SHAKER: "oooooooooooooooo"},
    },
    "funk": {
        "low": {KICK: "X..x......X.....", CLOSED_HAT: "xoxoxoxoxoxoxoxo"},
        "mid": {SNARE: "....X..o.o..X..o", KICK: "X..x..x...X....."},
        "high": {OPEN_HAT: "..............x.", CLAP: "....x.......x..."},
    },
    "bossa": {
        "low": {SIDE_STICK: "....x.......x..x", SHAKER: "xooox.o.xooox.o.", PEDAL_HAT: "x...x...x...x..."},
        "mid": {KICK: "X.......X.....x."},
        "high": {CLOSED_HAT: "..x...x...x...x."},
    },
    "chiptune": {
        "low": {KICK: "X.......X.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "....X.......X..."},
        "high": {KICK: "X.....X.X.......", CLOSED_HAT: "xxxxxxxxxxxxxxxx"},
    },
    "corporate": {
        "low": {CLOSED_HAT: "x.x.x.x.x.x.x.x.", KICK: "X.......X......."},
        "mid": {CLAP: "....X.......X...", KICK: "X.......X.x....."},
        "high": {CLOSED_HAT: "xoxoxoxoxoxoxoxo", OPEN_HAT: "..x...x...x...x."},
    },
}


def _layers_for(name: str, level: int) -> Layer:
    layers = GROOVES[name]
    merged: Layer = dict(layers["low"])
    if level >= 1:
        merged.update(layers["mid"])
    if level >= 2:
        merged.update(layers["high"])
    return merged


def _meter_groove(meter: Meter, level: int) -> tuple[Layer, int]:
    """A plain groove for meters other than 4/4: kick on 1, backbeats, hats on subdivisions."""
    steps_per_beat = meter.subdivisions
    steps = meter.beats_per_bar * steps_per_beat
    kick, snare, hat = ["."] * steps, ["."] * steps, ["."] * steps
    kick[0] = "X"
    backbeats = {2: [1], 3: [1, 2], 4: [1, 3], 5: [1, 3]}.get(meter.beats_per_bar, [1])
    if meter.beats_per_bar >= 4:
        kick[2 * steps_per_beat] = "x"
    for beat in backbeats:
        snare[beat * steps_per_beat] = "x" if meter.beats_per_bar == 3 else "X"
    for step in range(steps):
        hat[step] = "x" if step % steps_per_beat == 0 else "o"
    layer = {KICK: "".join(kick), CLOSED_HAT: "".join(hat)}
    if level >= 1:
        layer[SIDE_STICK if meter.beats_per_bar == 3 else SNARE] = "".join(snare)
    return layer, steps_per_beat


def play_bar(
    track: Part,
    style_groove: str,
    meter: Meter,
    bar_beat: float,
    energy: float,
    level: int,
    rng: random.Random,
    fill: bool = False,
    crash: bool = False,
) -> None:
    """Write one bar of drums from beat `bar_beat` (notes before beat 0, in a pickup bar, are
    dropped). `level` 0/1/2 picks the groove's layers; `energy` 0..1 sets the velocities."""
    skip_before = 0.0
    if meter.name == "4/4":
        layer, steps_per_beat = _layers_for(style_groove, level), 4
    else:
        layer, steps_per_beat = _meter_groove(meter, level)
    step_beats = 1.0 / steps_per_beat
    gain = 0.75 + 0.3 * energy
    total_steps = meter.beats_per_bar * steps_per_beat
    fill_from = total_steps - steps_per_beat if fill else total_steps
    for drum, pattern in layer.items():
        for step, symbol in enumerate(pattern[:total_steps]):
            if symbol == "." or (step >= fill_from and drum != KICK):
                continue
            velocity = VELOCITY[symbol] * gain + rng.uniform(-6, 6)
            start = bar_beat + step * step_beats
            if start >= skip_before:
                track.add(drum, start, step_beats * 0.9, velocity)
    if fill:  # a rising snare/tom run through the last beat leads into the next section
        toms = [SNARE, HIGH_TOM, MID_TOM, LOW_TOM] if style_groove in ("rock", "trailer", "pop") else [SNARE] * 4
        for i in range(steps_per_beat):
            start = bar_beat + (fill_from + i) * step_beats
            if start >= skip_before:
                track.add(toms[i % len(toms)], start, step_beats * 0.9, 70 + 10 * i * gain)
    if crash and bar_beat >= skip_before:
        track.add(CRASH, bar_beat, 2.0, 100 * gain)
