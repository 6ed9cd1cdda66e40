"""Live music (mmgen/live): can each score engine keep up, how soon is a control change heard, and
does a long session stay flat in memory?

For each engine a scripted session of `--minutes` of music is made bar by bar as fast as it goes,
its controls changed every 16 bars (energy, tempo, key, style, in turn), and each bar's making
time recorded (next_bar(): writing the phrase when one is due, then rendering the bar), with the
lead LiveSession.paced() would have asked for at that moment. The timeline a listener hears is
then replayed from those times with paced()'s pacing (the Live tab's: each bar begun its lead
before it is due, the player playing the bars back to back from the first one's arrival):

- realtime factor: the bar's duration / the time to make it (mean over the session; worst bar);
- gaps: bars that arrived after the previous one finished playing (the player ran dry);
- latency: for a change made at any moment of playback (sampled every 50 ms), the time until the
  first bar begun after it starts playing, and how many bar lines that is (1: the next bar;
  next_bar_pct: how often it is the next bar);
- memory: the process's resident size after the first minute and at the end.

    python benchmarks/live.py [--minutes 10] [--engines composer,symbolic-transformer,symbolic-lstm]

Last line: realtime_factor=<worst engine's mean> latency_bars=<worst> gaps=<count, all engines>
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

CHANGES = (  # applied in turn, one every CHANGE_EVERY bars
    {"energy": 0.9},
    {"tempo_bpm": 96.0},
    {"key": "D major"},
    {"energy": 0.2},
    {"style": "calm piano"},
    {"energy": 0.6, "tempo_bpm": None, "key": None},
    {"style": "chiptune level music"},
    {"energy": 0.4},
)
CHANGE_EVERY = 16
SAMPLE_EVERY_S = 0.05


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_session(engine: str, minutes: float) -> tuple[list[float], list[float], list[float], list[float]]:
    """(bar durations, seconds to make each, the lead asked before each, RSS in MB after each bar)
    of one scripted session."""
    from mmgen.live import LiveControls, LiveSession

    session = LiveSession(LiveControls(style="chiptune level music", energy=0.5), engine=engine, seed=1)
    durations, made, leads, memory = [], [], [], []
    try:
        while sum(durations) < minutes * 60:
            if durations and len(durations) % CHANGE_EVERY == 0:
                session.set(**CHANGES[(len(durations) // CHANGE_EVERY - 1) % len(CHANGES)])
            leads.append(session.lead_s)
            started = time.perf_counter()
            chunk = session.next_bar()
            made.append(time.perf_counter() - started)
            durations.append(chunk.duration_s)
            memory.append(rss_mb())
    finally:
        session.close()
    return durations, made, leads, memory


def replay(durations: list[float], made: list[float], leads: list[float]) -> dict:
    """The listener's timeline from the making times, paced as LiveSession.paced() paces."""
    starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])  # each bar's place in the music
    began, handed, playing = [], [], []  # making began, handed to the player, started playing
    for k, (start_s, cost, lead) in enumerate(zip(starts, made, leads)):
        begin = 0.0 if k == 0 else max(handed[-1], handed[0] + start_s - lead)  # paced() sleeps till then
        began.append(begin)
        handed.append(begin + cost)
        playing.append(handed[-1] if k == 0 else max(handed[-1], playing[-1] + durations[k - 1]))
    began, handed, playing = map(np.array, (began, handed, playing))
    ends = playing + np.array(durations)
    gaps = int(np.sum(handed[1:] > ends[:-1] + 1e-9))
    latency_s, latency_bars = [], []
    for moment in np.arange(playing[0], ends[-1], SAMPLE_EVERY_S):
        heard = int(np.searchsorted(began, moment, side="left"))  # the first bar begun after the change
        if heard >= len(playing):
            break
        latency_s.append(playing[heard] - moment)
        latency_bars.append(int(np.sum((playing > moment) & (playing <= playing[heard]))))
    return {
        "gaps": gaps,
        "lead_s_min": round(float(np.min(playing[1:] - handed[1:])), 2) if len(playing) > 1 else None,
        "latency_s_mean": round(float(np.mean(latency_s)), 2),
        "latency_s_max": round(float(np.max(latency_s)), 2),
        "latency_bars_mean": round(float(np.mean(latency_bars)), 2),
        "latency_bars_max": int(np.max(latency_bars)),
        "next_bar_pct": round(100 * float(np.mean(np.array(latency_bars) == 1)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0, help="music per engine")
    parser.add_argument("--engines", default="composer,symbolic-transformer,symbolic-lstm")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = []
    for engine in args.engines.split(","):
        durations, made, leads, memory = run_session(engine, args.minutes)
        ratios = np.array(durations) / np.array(made)
        first_minute = int(np.searchsorted(np.cumsum(durations), 60.0))
        row = {
            "engine": engine,
            "bars": len(durations),
            "music_s": round(sum(durations), 1),
            "made_s": round(sum(made), 1),
            "realtime_factor": round(sum(durations) / sum(made), 1),
            "realtime_factor_worst_bar": round(float(ratios.min()), 2),
            "bar_ms_median": round(1000 * float(np.median(made)), 1),
            "bar_ms_max": round(1000 * float(np.max(made)), 1),
            **replay(durations, made, leads),
            "rss_mb_after_1_min": round(memory[min(first_minute, len(memory) - 1)], 1),
            "rss_mb_end": round(memory[-1], 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(
        f"realtime_factor={min(r['realtime_factor'] for r in rows)} "
        f"latency_bars={max(r['latency_bars_max'] for r in rows)} gaps={sum(r['gaps'] for r in rows)}"
    )


if __name__ == "__main__":
    main()
