"""Drum grooves. A 4/4 groove is one bar of steps per drum, written as a string: sixteenths
(16 steps), or thirty-seconds (32 steps, for hi-hat rolls); "X" accent, "x" normal hit,
"o" ghost note, "." rest. Three layers by energy: `low`, `mid`, `high`
(each adds to or replaces the one before; the composer picks the level from the bar's energy
relative to the piece's peak). Other meters get a groove built from the meter."""

from __future__ import annotations

import random

from ...music import Meter
from ...tokens import Part

KICK, SIDE_STICK, SNARE, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 36, 37, 38, 39, 42, 44, 46
FLOOR_TOM, LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE, TAMBOURINE, SHAKER = 41, 45, 47, 50, 49, 51, 54, 70
CHINA, SPLASH, COWBELL, HI_BONGO, LOW_BONGO, MUTE_CONGA, OPEN_CONGA, LOW_CONGA = 52, 55, 56, 60, 61, 62, 63, 64
HIGH_TIMBALE, LOW_TIMBALE, CABASA, CLAVES, HI_WOOD, LOW_WOOD, TRIANGLE = 65, 66, 69, 75, 76, 77, 81
FOUR = "X...X...X...X..."
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
    "techno": {
        "low": {KICK: FOUR, CLOSED_HAT: "..x...x...x...x."},
        "mid": {OPEN_HAT: "..x...x...x...x.", SIDE_STICK: "...x.....x....x."},
        "high": {CLOSED_HAT: "xoxxxoxxxoxxxoxx", CLAP: "....x.......x..."},
    },
    "trance": {
        "low": {KICK: FOUR, OPEN_HAT: "..x...x...x...x."},
        "mid": {CLAP: "....X.......X...", CLOSED_HAT: "oxoooxoooxoooxoo"},
        "high": {RIDE: "x.x.x.x.x.x.x.x.", SNARE: "..............xx"},
    },
    "synthwave": {
        "low": {KICK: "X.......X.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "....X.......X...", KICK: "X.......X.x....."},
        "high": {CLAP: "....x.......x...", TAMBOURINE: "..x...x...x...x."},
    },
    "halftime": {
        "low": {KICK: "X...............", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "........X.......", KICK: "X.........x....."},
        "high": {CLOSED_HAT: "x.xxx.x.x.xxx.xx", SNARE: "........X.....o.", KICK: "X.....x...x....."},
    },
    "future_bass": {
        "low": {KICK: "X.........X.....", CLOSED_HAT: "..x...x...x...x."},
        "mid": {SNARE: "........X.......", CLAP: "........x......."},
        "high": {CLOSED_HAT: "x.xxx.xxx.xxx.xx", KICK: "X.....x...X....."},
    },
    "edm": {
        "low": {KICK: FOUR},
        "mid": {CLAP: "....X.......X...", OPEN_HAT: "..x...x...x...x."},
        "high": {SNARE: "....X.......X...", CLOSED_HAT: "x.xxx.xxx.xxx.xx"},
    },
    "trap": {
        "low": {KICK: "X.....x...X.....", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "........X.......", CLAP: "........x......."},
        "high": {
            CLOSED_HAT: "x.x.x.x.x.x.xxxxx.x.x.x.x.xoxoxo",
            OPEN_HAT: "......x.........",
            KICK: "X.....x..xX.....",
        },
    },
    "metal": {
        "low": {KICK: "X.x.X.x.X.x.X.x.", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "....X.......X...", KICK: "XxXxXxXxXxXxXxXx"},
        "high": {CHINA: "X.......X.......", RIDE: "x.x.x.x.x.x.x.x.", CLOSED_HAT: "................"},
    },
    "punk": {
        "low": {KICK: "X.......X.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {KICK: FOUR, SNARE: "..X...X...X...X."},
        "high": {CRASH: "X...X...X...X...", CLOSED_HAT: "................"},
    },
    "shuffle": {
        "low": {RIDE: "x.x.x.x.x.x.x.x.", PEDAL_HAT: "....x.......x..."},
        "mid": {KICK: "X.......X.......", SNARE: "....X.......X..."},
        "high": {SNARE: "....X.....o.X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    },
    "country": {
        "low": {KICK: "X.......X.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "....X.......X..."},
        "high": {SNARE: "o.o.X.o.o.o.X.o.", TAMBOURINE: "..x...x...x...x."},
    },
    "rnb": {
        "low": {KICK: "X......x..X.....", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "....X.......X..."},
        "high": {CLOSED_HAT: "x.xxx.x.x.xxx.x.", SHAKER: "o.o.o.o.o.o.o.o.", KICK: "X......x..X...x."},
    },
    "gospel": {
        "low": {KICK: "X.......X.......", TAMBOURINE: "....x.......x..."},
        "mid": {SNARE: "....X.......X...", CLAP: "....x.......x..."},
        "high": {CLOSED_HAT: "x.x.x.x.x.x.x.x.", TAMBOURINE: "..x.x...x.x.x..."},
    },
    "one_drop": {
        "low": {SIDE_STICK: "........x.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {KICK: "........X......."},
        "high": {CLOSED_HAT: "x.xxx.x.x.xxx.x.", OPEN_HAT: "..............x."},
    },
    "disco": {
        "low": {KICK: FOUR, CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {SNARE: "....X.......X...", OPEN_HAT: "..x...x...x...x."},
        "high": {CLAP: "....x.......x...", TAMBOURINE: "xoxoxoxoxoxoxoxo"},
    },
    "dembow": {
        "low": {KICK: FOUR},
        "mid": {SNARE: "...x..x....x..x.", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "high": {CLAP: "...x..x....x..x.", HIGH_TIMBALE: "..............xx"},
    },
    "salsa": {
        "low": {CLAVES: "X..X..X...X.X...", COWBELL: "x.x.x.x.x.x.x.x."},
        "mid": {MUTE_CONGA: "x.o.x.o.x.o.x.o.", OPEN_CONGA: "......xx......xx"},
        "high": {COWBELL: "X.x.X.x.X.x.X.x.", HIGH_TIMBALE: "..............xx", KICK: "......x.......x."},
    },
    "rumba": {
        "low": {CLAP: "X..x..x...x.x...", KICK: "X.....x.X......."},
        "mid": {SIDE_STICK: "....x.......x...", CLAP: "x.xxx.x.x.xxx.x."},
        "high": {SHAKER: "xoxoxoxoxoxoxoxo"},
    },
    "afrobeat": {
        "low": {SHAKER: "xoxoxoxoxoxoxoxo", KICK: "X.....x...X....."},
        "mid": {COWBELL: "x.x.xx.x.xx.x.x.", SIDE_STICK: "....x..x..x....x"},
        "high": {CLOSED_HAT: "xoxoxoxoxoxoxoxo", LOW_CONGA: "......x.......x.", OPEN_CONGA: ".x..x.x..x..x.x."},
    },
    "kpop": {
        "low": {KICK: FOUR, CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "mid": {CLAP: "....X.......X...", SNARE: "....x.......x..."},
        "high": {OPEN_HAT: "..x...x...x...x.", CLOSED_HAT: "xxxxxxxxxxxxxxxx"},
    },
    "dholak": {
        "low": {LOW_CONGA: "X..x..x.X..x..x.", HI_BONGO: "..x...x...x...x."},
        "mid": {KICK: "X.....x.X.....x.", CLAP: "....x.......x..."},
        "high": {TAMBOURINE: "xoxoxoxoxoxoxoxo", HI_BONGO: "..xx..x...xx..x."},
    },
    "chinese": {
        "low": {HI_WOOD: "x.......x......."},
        "mid": {LOW_TOM: "X.......X...x...", HI_WOOD: "x...x...x...x..."},
        "high": {SPLASH: "X...............", LOW_WOOD: "..x...x...x...x."},
    },
    "taiko": {
        "low": {FLOOR_TOM: "X.......X......."},
        "mid": {FLOOR_TOM: "X..x..x.X...x...", HI_WOOD: "....x.......x..."},
        "high": {LOW_TOM: "..x...x...x..xx.", HIGH_TOM: "x...x...x...x..."},
    },
    "celtic": {
        "low": {FLOOR_TOM: "X.o.x.o.X.o.x.o."},
        "mid": {TAMBOURINE: "..x...x...x...x."},
        "high": {FLOOR_TOM: "X.oxx.o.X.oxx.ox", KICK: "X.......X......."},
    },
    "maqsum": {
        "low": {LOW_CONGA: "X.......X.......", HI_BONGO: "..x...x.....x..."},
        "mid": {TAMBOURINE: "x.o.x.o.x.o.x.o."},
        "high": {HI_BONGO: "..xx..x.o...x.xo"},
    },
    "heartbeat": {
        "low": {KICK: "X..x............"},
        "mid": {FLOOR_TOM: "X.......x......."},
        "high": {LOW_TOM: "X..x....X..x....", SPLASH: "..............x."},
    },
    "documentary": {
        "low": {SHAKER: "o.o.o.o.o.o.o.o."},
        "mid": {KICK: "X.......X.......", SIDE_STICK: "....x.......x..."},
        "high": {CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    },
    "comedy": {
        "low": {KICK: "X.......X.......", SIDE_STICK: "....x.......x..."},
        "mid": {HI_WOOD: "..x...x...x...x."},
        "high": {LOW_WOOD: "x.......x.x.....", TAMBOURINE: "....x.......x..."},
    },
    "kids": {
        "low": {KICK: "X.......X.......", CLAP: "....x.......x..."},
        "mid": {TAMBOURINE: "x.x.x.x.x.x.x.x."},
        "high": {SNARE: "....X.......X...", HI_WOOD: "..x...x...x...x."},
    },
    "ballad": {
        "low": {KICK: "X.......X.......", SIDE_STICK: "....x.......x..."},
        "mid": {SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
        "high": {RIDE: "x.x.x.x.x.x.x.x.", KICK: "X.......X.x.....", CLOSED_HAT: "................"},
    },
    "sleigh": {
        "low": {TAMBOURINE: "x.x.x.x.x.x.x.x."},
        "mid": {KICK: "X.......X.......", SNARE: "....x.......x..."},
        "high": {TAMBOURINE: "xxxxxxxxxxxxxxxx", TRIANGLE: "X..............."},
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
    gain = 0.75 + 0.3 * energy
    for drum, pattern in layer.items():
        drum_steps = steps_per_beat * max(1, len(pattern) // (meter.beats_per_bar * steps_per_beat))
        step_beats = 1.0 / drum_steps
        total_steps = meter.beats_per_bar * drum_steps
        fill_from = total_steps - drum_steps if fill else total_steps
        for step, symbol in enumerate(pattern[:total_steps]):
            if symbol == "." or (step >= fill_from and drum != KICK):
                continue
            velocity = VELOCITY[symbol] * gain + rng.uniform(-6, 6)
            start = bar_beat + step * step_beats
            if start >= skip_before:
                track.add(drum, start, step_beats * 0.9, velocity)
    step_beats = 1.0 / steps_per_beat
    total_steps = meter.beats_per_bar * steps_per_beat
    fill_from = total_steps - steps_per_beat if fill else total_steps
    if fill:  # a rising snare/tom run through the last beat leads into the next section
        toms = [SNARE, HIGH_TOM, MID_TOM, LOW_TOM] if style_groove in ("rock", "trailer", "pop") else [SNARE] * 4
        for i in range(steps_per_beat):
            start = bar_beat + (fill_from + i) * step_beats
            if start >= skip_before:
                track.add(toms[i % len(toms)], start, step_beats * 0.9, 70 + 10 * i * gain)
    if crash and bar_beat >= skip_before:
        track.add(CRASH, bar_beat, 2.0, 100 * gain)
