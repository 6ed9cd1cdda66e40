"""A picture of a finished track: its waveform, and the plan drawn over time (sections, the
energy curve, the cuts it hits, tempo and key), written as a PNG for the app's result view."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SECTION_COLOURS = {
    "intro": "#c9d6ea",
    "verse": "#a8c5e0",
    "prechorus": "#c6b8e6",
    "chorus": "#f2b880",
    "bridge": "#b9e0b4",
    "build": "#f5d48a",
    "outro": "#d9d9d9",
}


def plan_figure(track, path: str | Path) -> Path:
    """Draw `track` (a mmgen Track) to `path` (.png), 1200 x 420 pixels."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    plan, audio = track.plan, track.audio
    duration = plan.duration_s
    figure, (wave_axis, plan_axis) = plt.subplots(
        2, 1, figsize=(12, 4.2), dpi=100, sharex=True, gridspec_kw={"height_ratios": [1.3, 1]}
    )
    # Waveform: the peak of each of 1,500 slices, mirrored.
    mono = np.abs(audio.samples).max(axis=0)
    slices = np.array_split(mono, 1500)
    peaks = np.array([s.max() if s.size else 0.0 for s in slices])
    times = np.linspace(0, duration, len(peaks))
    wave_axis.fill_between(times, -peaks, peaks, color="#4a6fa5", linewidth=0)
    wave_axis.set_ylim(-1.05, 1.05)
    wave_axis.set_yticks([])
    wave_axis.set_title(
        f"{plan.style_label} · {plan.tempo_bpm:.1f} BPM · {plan.key.name} · {plan.meter.name} · "
        f"{duration:.2f} s · {track.mastering.loudness_lufs:.1f} LUFS",
        fontsize=11,
        loc="left",
    )
    # The plan: sections as bands, the energy curve over them, cuts as lines, the final chord.
    for section in plan.sections:
        start = plan.beat_time(max(0.0, plan.bar_start_beat(section.start_bar)))
        end = plan.beat_time(plan.bar_start_beat(section.start_bar + section.bars))
        plan_axis.axvspan(start, end, color=SECTION_COLOURS.get(section.role, "#dddddd"), alpha=0.9, linewidth=0)
        plan_axis.text((start + end) / 2, 0.92, section.name, ha="center", va="top", fontsize=9, clip_on=True)
    curve = np.array(plan.energy_curve())
    plan_axis.step(curve[:, 0], curve[:, 1], where="post", color="#333333", linewidth=1.6, label="energy")
    beats = (track.details.get("conformed") or {}).get("beats_after_s", [])
    if beats:  # an audio engine's beats, as measured once conformed: the cuts should sit on them
        wave_axis.vlines(beats, 0.82, 1.05, color="#6b6b6b", linewidth=0.8)
    for cut in plan.cuts_s:
        for axis in (wave_axis, plan_axis):
            axis.axvline(cut, color="#d1495b", linewidth=1.2, linestyle="--")
    plan_axis.axvline(plan.final_chord_s, color="#2e7d32", linewidth=1.4)
    plan_axis.text(plan.final_chord_s, 0.05, " final chord", color="#2e7d32", fontsize=8, va="bottom")
    plan_axis.set_ylim(0, 1)
    plan_axis.set_xlim(0, duration)
    plan_axis.set_yticks([0, 0.5, 1])
    plan_axis.set_ylabel("energy")
    plan_axis.set_xlabel(
        "seconds"
        + (" (dashed: the video's cuts)" if plan.cuts_s else "")
        + (" (ticks: the beats measured once conformed)" if beats else "")
    )
    figure.tight_layout()
    target = Path(path)
    figure.savefig(target, format="png")
    plt.close(figure)
    return target
