"""How well soundtracks fit videos: random edits (scene lengths 1.5-5 s) made with ffmpeg, scored
by the embedded path, and measured: main cuts pinned on a beat by the plan, the distance from
each cut to the nearest beat librosa finds in the music, the MP4's length against the input's,
and the time of each stage (analysis, music, mux), side by side in one run.

    python benchmarks/video_sync.py [--videos 12] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

PROMPTS = ["", "upbeat pop", "epic orchestral trailer", "chill lofi", "acoustic folk", "house music"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    from media import make_video

    from mmgen import GenerationRequest
    from mmgen.encoders.video import probe_video
    from mmgen.pipeline import generate

    rng = np.random.default_rng(0)
    rows, folder = [], Path(tempfile.mkdtemp(prefix="mmgen-video-bench-"))
    for i in range(args.videos):
        fps = [25, 30, 24][i % 3]
        lengths = []
        while sum(lengths) < args.seconds:
            lengths.append(round(float(rng.uniform(1.5, 5.0)) * fps) / fps)  # whole frames
        video = make_video(folder / f"edit{i}.mp4", lengths, fps=fps)
        started = time.perf_counter()
        track = generate(GenerationRequest(prompt=PROMPTS[i % len(PROMPTS)], video_path=str(video), seed=i))
        made = time.perf_counter()
        out = track.save(folder / f"scored{i}.mp4")
        muxed = time.perf_counter()
        distances = track.details["measured"].get("cut_to_nearest_beat_ms", [])
        final = track.details["measured"].get("final_chord_to_last_cut_ms")
        hits = track.plan.reasons["tempo"].split(": ")[-1].split(" cuts on a beat")[0]
        rows.append(
            {
                "video_s": round(probe_video(video).duration_s, 2),
                "fps": fps,
                "cuts": len(track.plan.cuts_s),
                "pinned": hits,
                "cut_to_beat_ms": distances,
                "final_chord_to_cut_ms": final,
                "length_error_ms": round(1000 * abs(probe_video(out).duration_s - probe_video(video).duration_s), 1),
                "encode_s": track.timings_s.get("encode"),
                "music_s": round(made - started, 2),
                "mux_s": round(muxed - made, 2),
                "tempo": round(track.plan.tempo_bpm, 1),
            }
        )
        print(json.dumps(rows[-1]))
    all_d = np.concatenate([r["cut_to_beat_ms"] for r in rows])
    hit = [tuple(int(x) for x in r["pinned"].split(" of ")) for r in rows]
    finals = [r["final_chord_to_cut_ms"] for r in rows if r["final_chord_to_cut_ms"] is not None]
    print(
        f"final_chord_on_last_cut={len(finals)}/{len(rows)} "
        f"final_chord_to_cut_ms_max={max(finals) if finals else float('nan'):.1f}"
    )
    print(
        f"videos={len(rows)} cuts_before_final_chord={len(all_d)} "
        f"pinned_by_plan={sum(a for a, _ in hit)}/{sum(b for _, b in hit)} "
        f"measured_within_60ms={np.mean(all_d <= 60):.3f} median_ms={np.median(all_d):.1f} "
        f"p90_ms={np.percentile(all_d, 90):.1f} max_length_error_ms={max(r['length_error_ms'] for r in rows)} "
        f"analysis_s={np.median([r['encode_s'] for r in rows]):.2f} "
        f"music_s={np.median([r['music_s'] for r in rows]):.2f} "
        f"mux_s={np.median([r['mux_s'] for r in rows]):.2f}"
    )


if __name__ == "__main__":
    main()
