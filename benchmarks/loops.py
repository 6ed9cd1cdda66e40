"""How good are the loops, stems and game kits, for every score engine?

For each engine (the composer and the five learned families) and each style, a loop is made
(generate(loop=True), the produced sound) and its game kit built, then measured:

- seams (mmgen/eval/loops.py, the loop played three times): the largest sample step at a seam
  against the largest at the loop's own bar lines (`seam_vs_bar_line` <= 1 means no rougher than
  a bar line inside the music), and the beat interval across a seam against the others (%);
- stems: the 24-bit stem files summed against the 24-bit mix file (null residual, dB under the
  mix's peak), and that every file has the mix's length;
- layers: integrated loudness of calm / medium / intense (LUFS) and note onsets per bar, which
  must rise in that order;
- segments: the largest distance of an entry or exit cue from a bar line (samples).

    python benchmarks/loops.py [--engines composer,...] [--styles "house music;..."] [--seconds 16]

Last line: loops=<n> seams_ok=<n> null_db_max=<worst> layers_ordered=<n> cue_off_bar_samples_max=<worst>
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

ENGINES = "composer,symbolic-transformer,symbolic-lstm,symbolic-vae,symbolic-diffusion,symbolic-gan"
STYLES = "house music;lofi hip hop beat;chiptune level music;epic orchestral trailer;calm piano"


def null_residual_db(folder: Path, mix_file: Path, written: list[Path]) -> tuple[float, bool]:
    """(the stem files' sum against the mix file, in dB under its peak; all of the same length)."""
    import soundfile as sf

    mix = sf.read(mix_file, dtype="float64", always_2d=True)[0]
    stems = [sf.read(f, dtype="float64", always_2d=True)[0] for f in written if f.suffix == ".wav"]
    same_length = all(stem.shape == mix.shape for stem in stems)
    residual = np.abs(sum(stems) - mix).max() if same_length else np.inf
    return float(20 * np.log10(max(residual, 1e-12) / np.abs(mix).max())), same_length


def measure(engine: str, style: str, seconds: float, seed: int, folder: Path) -> dict:
    from mmgen import GenerationRequest, generate
    from mmgen.errors import InvalidRequest
    from mmgen.eval.loops import seam_check
    from mmgen.eval.metrics import integrated_loudness_lufs
    from mmgen.gamekit import build_game_kit

    track = generate(GenerationRequest(prompt=style, duration_s=seconds, seed=seed, decoder=engine, loop=True))
    rate, plan = track.audio.sample_rate_hz, track.plan
    seams = seam_check(track.audio.samples, rate, plan.bar_s)
    mix_file = track.save(folder / "mix.wav")
    null_db, same_length = null_residual_db(folder, mix_file, track.save_stems(folder / "stems"))
    row = {
        "engine": engine,
        "style": style,
        "bars": plan.total_bars,
        "tempo_bpm": round(plan.tempo_bpm, 1),
        "seam_vs_bar_line": round(seams["seam_step"] / max(seams["bar_line_step"], 1e-9), 2),
        "seam_beat_pct": round(100 * seams["seam_beat_deviation"], 2),
        "beat_wander_pct": round(100 * seams["beat_deviation_median"], 2),
        "null_db": round(null_db, 1),
        "stems_same_length": same_length,
        "stems": len(track.audio.stems or {}),
    }
    try:
        kit = build_game_kit(track)
    except InvalidRequest as error:  # recorded: a piece of fewer than three parts cannot be layered
        return {**row, "kit": str(error)}
    loudness = [round(integrated_loudness_lufs(layer.samples, rate), 1) for layer in kit.layers]
    density = [round(layer.notes_per_bar, 1) for layer in kit.layers]
    cue_samples = [c for piece in kit.segments for c, _label in piece.wave.cues]
    bar = plan.bar_s * rate
    offsets = [abs(c / bar - round(c / bar)) * bar for c in cue_samples]
    return {
        **row,
        "layer_lufs": loudness,
        "layer_notes_per_bar": density,
        "layers_ordered": loudness == sorted(loudness) and density == sorted(density) and len(set(density)) == 3,
        "segments": len(kit.segments),
        "cue_off_bar_samples": round(max(offsets, default=0.0), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default=ENGINES)
    parser.add_argument("--styles", default=STYLES, help="separated by ;")
    parser.add_argument("--seconds", type=float, default=16.0)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for engine in args.engines.split(","):
            for k, style in enumerate(args.styles.split(";")):
                folder = Path(scratch) / f"{engine}-{k}"
                folder.mkdir()
                rows.append(measure(engine, style, args.seconds, seed=k + 1, folder=folder))
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    kits = [r for r in rows if "layer_lufs" in r]
    print(
        f"loops={len(rows)} seams_ok={sum(r['seam_vs_bar_line'] <= 1.25 for r in rows)} "
        f"null_db_max={max(r['null_db'] for r in rows)} "
        f"layers_ordered={sum(r['layers_ordered'] for r in kits)}/{len(kits)} "
        f"cue_off_bar_samples_max={max((r['cue_off_bar_samples'] for r in kits), default=None)}"
    )


if __name__ == "__main__":
    main()
