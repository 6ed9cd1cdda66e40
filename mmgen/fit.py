"""Fit a track you already have (stock music, your own song) to your edit: its beats on a steady
grid at its own tempo (or one you set), the edit's cuts on beats, and its ending on a downbeat so
it rings out exactly on the video's last frame (or at the length you ask).

    track = fit_track("song.mp3", video="edit.mp4")   # a Track: .save("fitted.mp4"), .report()

The grid is planned as for a composed piece with its tempo fixed (`timeline.fit_to_cuts`: a
lead-in and tempo pins of at most 8 % put the cuts on beats), then the track is conformed to it
(`post/conform.py`). Its key is its own: nothing is pitch-shifted.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from .errors import InvalidRequest, Unavailable
from .post.conform import MAX_TEMPO_CHANGE, conform
from .post.stretch import time_map_missing

BEATS_PER_BAR = 4


def fit_track(
    path: str | Path,
    bpm: float | None = None,
    cuts_s: list[float] | str | None = None,
    video: str | Path | None = None,
    duration_s: float | None = None,
):
    """The track at `path` conformed to a grid (see the module): a Track whose report says, before
    and after, how far its beats lay from the grid and its cuts from a beat."""
    from .edit import _measured, track_from_file
    from .eval.rhythm import own_tempo_bpm
    from .pipeline import make_plan
    from .request import TEMPO_RANGE_BPM, GenerationRequest

    started = time.perf_counter()
    missing = time_map_missing()
    if missing:
        raise Unavailable(missing)
    if video and duration_s is not None:
        raise InvalidRequest("The video sets the length: give either --video or --duration, not both.")
    track = track_from_file(path)
    own_s = track.audio.duration_s
    info = None
    if video:
        from .encoders.video import probe_video

        info = probe_video(video)
        duration_s = info.duration_s
    duration_s = own_s if duration_s is None else float(duration_s)
    longest = own_s * (1 + MAX_TEMPO_CHANGE)
    if duration_s > longest:
        raise InvalidRequest(
            f"The track is {own_s:.1f} s long; it can be stretched to at most {longest:.1f} s without "
            f"sounding stretched, not {duration_s:.1f} s. Use a longer track, or make it longer first "
            "(mmgen edit --longer)."
        )
    found = own_tempo_bpm(track.audio.samples, track.audio.sample_rate_hz, BEATS_PER_BAR)
    tempo = bpm if bpm not in (None, "", 0) else found
    if not tempo:
        raise InvalidRequest("No steady beat was found in the track, so there is nothing to put on the cuts.")
    low, high = TEMPO_RANGE_BPM
    if not low <= float(tempo) <= high:
        raise InvalidRequest(f"The tempo must be between {low:g} and {high:g} BPM, not {float(tempo):g}.")
    request = GenerationRequest(
        prompt="",
        duration_s=duration_s,
        tempo_bpm=round(float(tempo), 2),
        key=track.request.key,
        meter=f"{BEATS_PER_BAR}/4",
        video_path=str(video) if video else None,
        cuts_s=cuts_s,
        seed=0,
    )
    plan = make_plan(request)
    wave, report = conform(track.audio, plan, fix_key="off")
    mastering = _measured(track.mastering, wave.samples)
    details = {**track.details, "conformed": report.to_dict(), "tempo_found_bpm": round(found, 2)}
    timings = {"fit": round(time.perf_counter() - started, 4)}
    return replace(
        track,
        request=request,
        plan=plan,
        audio=wave,
        mastering=mastering,
        details=details,
        video=info,
        timings_s=timings,
    )
