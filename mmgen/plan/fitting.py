"""Fitting the beat grid to a video: the tempo and lead-in that put its cuts on beats."""

from __future__ import annotations

from ..music import Meter
from ..request import GenerationRequest
from ..timeline import BeatGrid, fit_to_cuts

VIDEO_TEMPO_SPREAD = 0.2  # for a video, tempos this far outside the style's range may fit the cuts


def fit_video(
    request: GenerationRequest,
    cuts: list[float],
    tempo: float,
    tempo_fixed: bool,
    style_info: dict,
    meter: Meter,
    ring_target: float,
    reasons: dict,
) -> BeatGrid:
    """Tempo and lead-in that put the cuts on beats; a tempo you set is kept."""
    low, high = style_info["tempo"]
    low, high = low * (1 - VIDEO_TEMPO_SPREAD), high * (1 + VIDEO_TEMPO_SPREAD)
    if meter.is_compound:
        low, high = low / 1.5, high / 1.5
    grid, distances = fit_to_cuts(
        request.duration_s,
        cuts,
        (max(40.0, low), min(220.0, high)),
        meter,
        ring_target,
        fixed_tempo=tempo if tempo_fixed else None,
    )
    if distances:
        hits = sum(d <= 0.04 for d in distances)
        reasons["tempo"] = (reasons["tempo"] if tempo_fixed else "chosen so the cuts fall on the beat") + (
            f": {hits} of {len(distances)} cuts on a beat"
            + (f" ({len(grid.pins)} by easing the tempo by at most 8 % before them)" if grid.pins else "")
            + (
                ", the final chord on the last cut"
                if grid.pins and abs(request.duration_s - grid.ring_s - grid.pins[-1][1]) < 1e-6
                else ""
            )
            + (f", the music starting {grid.lead_in_s:.2f} s in" if grid.lead_in_s > 0.005 else "")
        )
    return grid
