"""mmgen studio: the Gradio app. Widgets only: every decision about music lives in `mmgen`.

python app.py  -> http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT honoured;
0.0.0.0 on Hugging Face Spaces, where SPACE_ID is set).
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import io
import json
import os
import queue
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import gradio as gr
import numpy as np
import soundfile as sf
from gradio.i18n import I18nData

import mmgen
import mmgen.paths
from mmgen.errors import MmgenError
from mmgen.ffmpeg import system_ffmpeg
from mmgen.library import data_folder
from mmgen.library.history import browser_secret
from mmgen.music import FLAT_NAMES, SUPPORTED_METERS
from mmgen.originality.takes import originality_note
from mmgen.pipeline import generate_variations
from mmgen.post.figure import plan_figure
from mmgen.post.provenance import licence_line
from mmgen.request import DURATION_RANGE_S, MAX_PROMPT_CHARS, MAX_SEED, MAX_VARIATIONS
from mmgen.zerogpu import gpu_seconds, on_zero_gpu

ASSETS = mmgen.paths.ASSETS
OUTPUT_ROOT = Path(tempfile.gettempdir()) / "mmgen-studio"
KEPT_RESULTS = int(os.environ.get("MMGEN_KEPT_RESULTS", "64"))  # newest result folders kept on disk
AUTO = "Auto"
KEY_CHOICES = [AUTO] + [f"{n} {m}" for m in ("major", "minor") for n in FLAT_NAMES]
METER_CHOICES = [AUTO] + list(SUPPORTED_METERS)
MAX_QUEUE = int(os.environ.get("MMGEN_MAX_QUEUE", "16"))
MAX_UPLOAD = os.environ.get("MMGEN_MAX_UPLOAD", "200mb")  # videos; pictures and audio clips are far smaller


# Measured by benchmarks/transformer_decode.py on a 2-core CPU (int8 path): 10 s of audio in 15 s.
CPU_SECONDS_PER_AUDIO_SECOND = 1.5
# Measured by benchmarks/diffusion_decode.py on the same CPU (real-size random weights, fp32):
# the range over ACE-Step 1.5 XL turbo and Stable Audio 3 medium, per second of music.
DIFFUSION_CPU_COST = "6–8"  # Stable Audio 3 medium 5.8, ACE-Step 1.5 XL turbo 7.6
GPU_DEFAULTS = ("ace-step", "musicgen")  # the default engine on a GPU: the first of these that can run

STUDIO_TEXT_FILE = ASSETS / "i18n" / "studio.toml"


def studio_text(path: Path = STUDIO_TEXT_FILE) -> dict[str, dict[str, str]]:
    """The studio's interface text, {locale: {key: text}}: one table per locale in studio.toml
    ([en] has every key; a key another table lacks falls back to English in the browser)."""
    import tomllib

    measured = {"{cpu_seconds}": f"{CPU_SECONDS_PER_AUDIO_SECOND:g}", "{diffusion_cpu_seconds}": DIFFUSION_CPU_COST}
    tables = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        locale: {key: _filled(str(text), measured) for key, text in table.items()} for locale, table in tables.items()
    }


def _filled(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


TEXT = studio_text()
# The labels are keys, translated in the browser: its language picks the table, English is the
# fallback. The frontend fills in one key per string, so a label mixes at most one with plain text.
i18n = gr.I18n(**TEXT)
I18N_MARK = re.compile(r"__i18n__(\{[^}]*\})")


def in_english(label):
    """A label as English text: an i18n key (or a string carrying one) with its [en] wording."""
    if isinstance(label, I18nData):
        return TEXT["en"].get(label.key, label.key)
    if isinstance(label, dict) and "key" in label:
        return TEXT["en"].get(label["key"], label["key"])
    if isinstance(label, str):
        return I18N_MARK.sub(lambda mark: in_english(json.loads(mark.group(1))), label)
    return label


class Studio(gr.Blocks):
    """The studio's Blocks: the API page and gradio_client name each parameter and output by its
    English label (Gradio would show the i18n keys there; only the page itself is translated)."""

    def get_api_info(self, all_endpoints: bool = False, page: str | None = None):
        info = super().get_api_info(all_endpoints=all_endpoints, page=page)
        for endpoint in [*info.get("named_endpoints", {}).values(), *info.get("unnamed_endpoints", {}).values()]:
            for entry in [*endpoint.get("parameters", []), *endpoint.get("returns", [])]:
                entry["label"] = in_english(entry.get("label"))
        return info


def decoder_choices(translated: bool = False) -> tuple[list[tuple[str, str]], str, str]:
    """(label, name) of the decoders that can run here, the default, and a note on the others.
    A neural engine (ACE-Step, then MusicGen) is the default only with a GPU; on a CPU it is
    offered with its time cost.
    `translated`: the labels carry i18n keys for the browser (plain English otherwise)."""
    import torch

    gpu = torch.cuda.is_available()
    text = i18n if translated else TEXT["en"].__getitem__
    rows = mmgen.available_decoders()
    choices = []
    for r in rows:
        if r["available"]:
            short, key = r["description"].split(":")[0], f"engine_{r['name']}"
            if not r["offline"] and not gpu:  # one key per label: the time note, measured per family
                cost = "engine_cpu_cost_diffusion" if r["tokens"] == "latent" else "engine_cpu_cost"
                label = f"{r['name']} — {short} " + text(cost)
            else:  # the engine's short name, in the browser's language where studio.toml has it
                label = f"{r['name']} — " + (i18n(key) if translated and key in TEXT["en"] else short)
            choices.append((label, r["name"]))
    names = [name for _, name in choices]
    preferred = [name for name in GPU_DEFAULTS if gpu and name in names]
    default = preferred[0] if preferred else (names[0] if names else None)
    missing = [f"- **{r['name']}**: {r['reason']}" for r in rows if not r["available"]]
    if not missing:
        return choices, default, ""
    return (
        choices,
        default,
        (
            "<details><summary>"
            + text("engines_not_offered")
            + f" ({len(missing)})</summary>\n\n"
            + "\n".join(missing)
            + "\n\n</details>"
        ),
    )


def vocos_offered() -> bool:
    """Whether Vocos can decode Bark's voice here (its weights and EnCodec 24 kHz's load)."""
    from mmgen import registry

    return registry.availability("codec", "vocos").ok


def diffusion_engines() -> tuple[list[str], str]:
    """The diffusion engines that can run here (they restyle and edit), and why the others cannot."""
    rows = [row for row in mmgen.available_decoders() if row["tokens"] == "latent"]
    missing = "; ".join(f"{row['name']}: {row['reason']}" for row in rows if not row["available"])
    return [row["name"] for row in rows if row["available"]], missing


def licence_note(decoder: str | None, translated: bool = True) -> str:
    """What the chosen engine's tracks may be used for, in one short line (Markdown; "" for no engine).
    Every engine has a licence of use (mmgen/components.py); your own weights inherit the engine's."""
    licence = next((row["licence"] for row in mmgen.available_decoders() if row["name"] == decoder), "")
    if not licence:
        return ""
    return "<small>" + (i18n("engine_licence") if translated else TEXT["en"]["engine_licence"]) + f" {licence}</small>"


def _clip_arguments(decoder: str, clip: str | None) -> dict:
    """An uploaded clip is a melody to follow for melody engines, else a clip to continue."""
    if not clip:
        return {}
    uses = {row["name"]: row["clip_use"] for row in mmgen.available_decoders()}
    return {"melody_audio": clip} if uses.get(decoder) == "melody" else {"continue_audio": clip}


def vocal_choices() -> tuple[list[tuple[str, str]], str]:
    """(label, name) of the sung-vocal engines that can run here, and a note on the others
    (labels carry i18n keys; the engines' names and reasons stay as mmgen gives them)."""
    from mmgen import registry

    choices, missing = [(i18n("vocals_none"), "none")], []
    for entry in registry.entries("singer"):
        status = entry.check()
        if status.ok:
            choices.append((i18n("vocals_sung_by") + f" {entry.name}", entry.name))
        else:
            missing.append(f"{entry.name}: {status.reason}")
    return choices, (i18n("vocals_not_offered") + " " + "; ".join(missing)) if missing else ""


HISTORY_COLUMNS = ("#", "Description", "Length (s)", "Engine", "Seed")
MAX_HISTORY = 20


# The track library (mmgen/library): what a browser made, kept across reloads and restarts in
# SQLite under the data folder. When it cannot be used, tracks are still made and the history
# lasts as long as the tab.
_LIBRARY: list = []  # [Library], or [the reason it cannot be used], once opened


def library_store():
    """The library, or None when it cannot be used (the reason is printed once)."""
    if not _LIBRARY:
        from mmgen.library import Library, LibraryUnavailable

        try:
            _LIBRARY.append(Library())
        except LibraryUnavailable as error:
            _LIBRARY.append(str(error))
            print(f"mmgen: {error}", file=sys.stderr)
    return None if isinstance(_LIBRARY[0], str) else _LIBRARY[0]


def plays_own_weights(decoder: str | None) -> bool:
    """Whether the engine plays personal weights (learned engines, MusicGen and ACE-Step LoRAs)."""
    from mmgen.checkpoints import slot

    return bool(decoder) and slot(decoder) is not None


def weights_control(decoder: str | None, **labels):
    """The Model weights dropdown for this engine: shown for the learned engines always, and for
    MusicGen and ACE-Step once there is a LoRA for them, listing the shipped weights and the
    personal checkpoints made since (read afresh on every change)."""
    from mmgen.checkpoints import SHIPPED, weight_choices

    choices = weight_choices(decoder) if plays_own_weights(decoder) else [SHIPPED]
    shown = bool(decoder) and (decoder.startswith("symbolic-") or len(choices) > 1)
    return gr.Dropdown(choices=choices, value=SHIPPED, visible=shown, **labels)


def take_files(player: str, files: list[str]) -> list[str]:
    """The downloads of the take whose player file is `player` (its files share its stem)."""
    stem = Path(player).stem
    return [f for f in files if Path(f).name.startswith((stem + ".", stem + "-"))]


def _rows(history: list) -> list:
    return [_history_row(i, h) for i, h in enumerate(history)]


def signed_in_library(username: str, secret: str) -> str:
    """The library of a user signed in with Hugging Face: the same on every browser, and not
    guessable from the username without the server's secret."""
    return hmac.new(secret.encode(), f"hf:{username}".encode(), hashlib.sha256).hexdigest()[:32]


def open_library(library_id: str, profile: gr.OAuthProfile | None = None):
    """Page load: the signed-in user's library (on a Space with *Sign in with Hugging Face*), else
    this browser's (a new anonymous id the first time), and its kept tracks."""
    from mmgen.library import LibraryUnavailable
    from mmgen.library.history import browser_secret, history_entry
    from mmgen.library.store import data_folder

    if profile is not None and getattr(profile, "username", None):
        library_id = signed_in_library(profile.username, browser_secret(data_folder()))
    elif not (isinstance(library_id, str) and len(library_id) == 32):
        library_id = uuid.uuid4().hex
    store, history = library_store(), []
    if store is not None:
        try:
            records, total = store.tracks(library_id, MAX_HISTORY), store.count(library_id)
            history = [history_entry(r, total - i) for i, r in enumerate(records)]  # numbered from the first
        except LibraryUnavailable as error:
            gr.Warning(str(error))
    return library_id, history, _rows(history)


def remember(
    history: list, library_id: str, prompt, duration, decoder, seed, track, files, summary, drawing, *more_takes
) -> tuple[list, list, str, list]:
    """After a track is made: keep each take (the player's, then `more_takes`' players) in the
    library, with its own downloads, and add them to the history (newest first, take 1 on top).
    Returns (history, its rows, the id of the track now shown, the kept takes' ids in order)."""
    from mmgen.library.history import keep_take

    files = [getattr(f, "name", f) for f in files or []]
    if not track:
        return history, _rows(history), "", []
    players = [track, *(p for p in more_takes if p)]
    store = library_store()
    entries = []
    for i, player in enumerate(players):
        own = take_files(player, files) if len(players) > 1 else files
        take_seed = _report_seed(own, seed if i == 0 else "")
        entry = {
            "id": "",
            "prompt": prompt or "",
            "duration": duration,
            "decoder": decoder,
            "seed": take_seed,
            "track": player,
            "files": own,
            "summary": summary,
            "drawing": drawing if i == 0 else None,
            "rating": None,
        }
        if store is not None and library_id:
            settings = {"prompt": entry["prompt"], "duration": duration, "decoder": decoder, "seed": take_seed}
            try:
                entry["id"] = keep_take(
                    store,
                    library_id,
                    player=player,
                    files=own,
                    summary=summary,
                    drawing=entry["drawing"],
                    settings=settings,
                ).id
            except MmgenError as error:  # LibraryUnavailable among them
                gr.Warning(str(error))
                store = None  # one notice is enough
        entries.append(entry)
    number = (history[0]["number"] if history else 0) + len(entries)
    for k, entry in enumerate(entries):
        entry["number"] = number - k
    history = [*entries, *history][:MAX_HISTORY]
    return history, _rows(history), entries[0]["id"], [e["id"] for e in entries]


def _checked_library_id(library) -> str:
    if not isinstance(library, str) or not re.fullmatch(r"[0-9a-f]{32}", library):
        raise gr.Error("A library id is 32 hexadecimal characters (e.g. uuid.uuid4().hex).", print_exception=False)
    return library


def api_tracks(library: str) -> list[dict]:
    """The `tracks` API: a library's kept tracks, newest first (id, prompt, engine, seed, length,
    rating). The library id is its key: keep it secret."""
    store = library_store()
    if store is None:
        raise gr.Error("The track library cannot be used on this server.", print_exception=False)
    records = store.tracks(_checked_library_id(library), MAX_HISTORY)
    return [
        {
            "id": r.id,
            "prompt": r.prompt,
            "engine": r.engine,
            "seed": r.seed,
            "duration_s": r.duration_s,
            "rating": r.rating,
        }
        for r in records
    ]


def api_rate(library: str, track: str, rating: str) -> str:
    """The `rate` API: like or dislike one of the library's tracks."""
    if rating not in ("like", "dislike"):
        raise gr.Error("A rating is 'like' or 'dislike'.", print_exception=False)
    return rate_track(_checked_library_id(library), track, rating)


def api_prefer(library: str, better: str, worse: str) -> str:
    """The `prefer` API: of two of the library's takes, `better` was picked over `worse`."""
    store = library_store()
    if store is None:
        raise gr.Error("The track library cannot be used on this server.", print_exception=False)
    try:
        store.prefer(_checked_library_id(library), better, worse)
    except MmgenError as error:
        raise gr.Error(str(error), print_exception=False) from None
    return "🏆 Your pick is noted in your library."


def _report_seed(files: list[str], fallback) -> str:
    """A take's seed from its report among its downloads (each take has its own)."""
    for name in files:
        if name.endswith(".json"):
            try:
                return str(json.loads(Path(name).read_text(encoding="utf-8"))["seed"])
            except (OSError, ValueError, KeyError, TypeError):
                break
    return str(fallback or "")


LIBRARY_TAKES_COMPARED = 20  # an audio engine's take is compared with this many of the user's latest


def _check_against_library(tracks: list, owner: str | None) -> None:
    """An audio engine's takes (score takes are checked in the pipeline) against the user's latest
    kept tracks, by a cover-song similarity: the verdict goes into each take's report."""
    store = library_store()
    if store is None or not owner or all(getattr(t.tokens, "kind", "") == "score" for t in tracks):
        return
    from mmgen.library import LibraryUnavailable
    from mmgen.originality.takes import check_audio_take

    try:
        kept = store.tracks(owner, limit=LIBRARY_TAKES_COMPARED)
    except LibraryUnavailable:
        return
    earlier = [f for record in kept for f in record.files if f.endswith(".wav")]
    for track in tracks:
        if getattr(track.tokens, "kind", "") != "score" and earlier:
            track.details["originality"] = check_audio_take(track, library_files=earlier)


def _pick_controls(take_ids: list) -> tuple:
    """The A/B pick is offered when several takes were made and kept."""
    kept = [t for t in take_ids or [] if t]
    several = len(kept) > 1 and len(kept) == len(take_ids)
    choices = [(f"{i + 1}", i) for i in range(len(take_ids or []))]
    return gr.Row(visible=several), gr.Radio(choices=choices, value=None)


def pick_take(library_id: str, take_ids: list, best) -> str:
    """The A/B choice: the take picked is preferred over each of the others, in the library."""
    store = library_store()
    if store is None or not take_ids or len(take_ids) < 2:
        raise gr.Error("Make several takes first (Takes, under the engine), then pick the best.", print_exception=False)
    if best is None or not isinstance(best, int) or not 0 <= best < len(take_ids):
        raise gr.Error("Choose the take you like best first.", print_exception=False)
    try:
        for other, take_id in enumerate(take_ids):
            if other != best:
                store.prefer(library_id, take_ids[best], take_id)
    except MmgenError as error:  # LibraryUnavailable among them
        raise gr.Error(str(error), print_exception=False) from None
    others = ", ".join(str(i + 1) for i in range(len(take_ids)) if i != best)
    return f"🏆 Take {best + 1} picked over take{'s' if len(take_ids) > 2 else ''} {others}: noted in your library."


def _history_row(index: int, entry: dict) -> list:
    return [
        entry["number"],
        entry["prompt"][:80] or "(no description)",
        entry["duration"],
        entry["decoder"],
        entry["seed"],
    ]


def recall(history: list, library_id: str, selected: gr.SelectData):
    """A history row picked: its track back in the player and downloads, its settings back in the
    controls (the seed too, so Generate remakes it exactly), and it becomes the track rated or
    deleted. A kept track's files are served from a copy (the server serves only its folders)."""
    from mmgen.library import LibraryUnavailable
    from mmgen.library.history import history_entry

    row = selected.index[0] if isinstance(selected.index, (list, tuple)) else selected.index
    if not history or row is None or row >= len(history):
        return (gr.skip(),) * 9
    entry, store = history[row], library_store()
    if entry.get("id") and store is not None:
        try:
            record = store.get(library_id, entry["id"])
            if record is not None:
                OUTPUT_ROOT.mkdir(parents=True, exist_ok=True)
                entry = history_entry(
                    record, entry["number"], served=Path(tempfile.mkdtemp(prefix="track-", dir=OUTPUT_ROOT))
                )
        except LibraryUnavailable as error:
            gr.Warning(str(error))
    pruned = (
        "Its audio was removed to save space. Its settings and seed are back in the controls: Generate makes it again."
    )
    summary = entry["summary"] if entry["track"] else f"{pruned}\n\n{entry['summary']}"
    return (
        entry["track"],
        entry["files"],
        summary,
        entry["drawing"],
        entry["prompt"],
        entry["duration"],
        entry["decoder"],
        entry["seed"],
        entry.get("id", ""),
    )


def _rating_buttons(track_id: str) -> tuple:
    """Like and dislike can be pressed while a kept track is shown."""
    return gr.Button(interactive=bool(track_id)), gr.Button(interactive=bool(track_id))


def rate_track(library_id: str, track_id: str, rating: str) -> str:
    """Like or dislike the track shown; returns the line that says so."""

    store = library_store()
    if not track_id or store is None:
        raise gr.Error("Make a track first (or pick one from your tracks) to rate it.", print_exception=False)
    try:
        store.rate(library_id, track_id, rating)
    except MmgenError as error:  # LibraryUnavailable among them
        raise gr.Error(str(error), print_exception=False) from None
    return "👍 Liked: noted in your library." if rating == "like" else "👎 Disliked: noted in your library."


def delete_track(history: list, library_id: str, track_id: str) -> tuple[list, list, str, str]:
    """Delete the track shown from the library and the history."""
    from mmgen.library import LibraryUnavailable

    store = library_store()
    if not track_id or store is None:
        raise gr.Error("Pick one of your tracks first, then delete it.", print_exception=False)
    try:
        store.delete(library_id, track_id)
    except LibraryUnavailable as error:
        raise gr.Error(str(error), print_exception=False) from None
    history = [h for h in history if h.get("id") != track_id]
    return history, _rows(history), "", "Deleted from your library."


def _streams(decoder: str | None) -> bool:
    """Whether an engine plays while it generates: the audio-token engines (MusicGen) do, where
    Gradio can stream audio (it needs ffmpeg and ffprobe installed); diffusion makes all at once."""
    rows = mmgen.available_decoders()
    return system_ffmpeg() and any(row["name"] == decoder and row["tokens"] == "audio" for row in rows)


def _prune_results() -> None:
    """Keep the newest KEPT_RESULTS result folders: disk use stays bounded however many people
    generate (Gradio's own copies are cleared by delete_cache)."""
    import shutil

    folders = sorted((p for p in OUTPUT_ROOT.glob("track-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in folders[: max(0, len(folders) - KEPT_RESULTS + 1)]:
        shutil.rmtree(old, ignore_errors=True)


def _wav_bytes(audio: np.ndarray, rate_hz: int = 44100) -> bytes:
    """Float audio `[C, n]` -> 16-bit WAV bytes, the form Gradio streams best."""
    out = io.BytesIO()
    sf.write(out, np.clip(audio.T, -1.0, 1.0), rate_hz, format="WAV", subtype="PCM_16")
    return out.getvalue()


# Cancel: each browser session's running job has a stop flag the pipeline checks before every
# step (and MusicGen at every token), so a cancelled job frees the machine within one step.
STOP_FLAGS: dict[str, threading.Event] = {}


def stop_generation(request: gr.Request) -> None:
    flag = STOP_FLAGS.get(getattr(request, "session_hash", None) or "")
    if flag is not None:
        flag.set()


def with_estimate(progress, clock=time.monotonic):
    """Wrap a progress(fraction, desc=...) so that long work also says about how long is left
    (from the pace so far, once a few seconds have passed)."""
    started = clock()

    def report(fraction: float, stage: str) -> None:
        elapsed = clock() - started
        if elapsed >= 4 and 0.05 <= fraction < 0.98:
            left = elapsed * (1 - fraction) / fraction
            stage = f"{stage} (about {_as_duration(left)} left)"
        progress(fraction, desc=stage)

    return report


def _as_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(5, round(seconds / 5) * 5):.0f} s"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else "1 min"


def _run_streaming(request, progress, stop: threading.Event, taste=None):
    """Run the pipeline in a worker thread; yield take 1's preview audio as it comes, then the
    tracks (or raise the pipeline's error here, in the request's thread). `taste`: the user's
    reward model (best-liked take first, the open tempo leaned)."""
    pieces: queue.Queue = queue.Queue()
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["tracks"] = generate_variations(
                request,
                progress=with_estimate(progress),
                preview=pieces.put if system_ffmpeg() else None,
                should_stop=stop.is_set,
                taste=taste,
            )
        except BaseException as error:  # handed to the request's thread below
            outcome["error"] = error
        finally:
            pieces.put(None)

    threading.Thread(target=work, name="mmgen-generate", daemon=True).start()
    finished = False
    while not finished:
        waiting, item = [], pieces.get()  # block for the next piece, then take all that queued up
        while True:
            if item is None:
                finished = True
                break
            waiting.append(item)
            if pieces.empty():
                break
            item = pieces.get()
        if waiting:
            yield np.concatenate(waiting, axis=-1)
    if "error" in outcome:
        raise outcome["error"]
    yield outcome["tracks"]


SOURCES = ("text", "image", "lyrics", "video")


def _save_game_kit(track, target: Path, take: list) -> str:
    """Add the track's game kit ZIP to `take`; returns a line for the summary."""
    from mmgen.gamekit import build_game_kit

    try:
        kit = build_game_kit(track)
    except mmgen.InvalidRequest as error:  # too few parts for three layers: the loop still stands
        return f"No game kit: {error}"
    take.append(kit.save(target))
    return f"Game kit: {kit.summary()}."


def _zip_folder(files: list[Path], target: Path) -> str:
    """The files in one uncompressed zip (WAV barely compresses), the folder removed."""
    import shutil
    import zipfile

    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for file in files:
            archive.write(file, arcname=f"{target.stem}/{file.name}")
    shutil.rmtree(files[0].parent, ignore_errors=True)
    return str(target)


def _media_arguments(source: str, image, video, cuts, video_audio, lyrics="") -> dict:
    """Only the selected tab's inputs go into the request ("auto": whichever was given)."""
    if source not in (*SOURCES, "auto"):
        raise gr.Error(f"Unknown source {source!r}; use one of {', '.join(SOURCES)}.", print_exception=False)
    use_image = bool(image) and source in ("image", "auto") and not (source == "auto" and video)
    use_video = bool(video) and source in ("video", "auto")
    if source == "image" and not image:
        raise gr.Error(
            "Add a picture first (drop it on the picture box), or switch to the Text tab.", print_exception=False
        )
    if source == "video" and not video:
        raise gr.Error(
            "Add a video first (drop it on the video box), or switch to the Text tab.", print_exception=False
        )
    use_lyrics = bool((lyrics or "").strip()) and source in ("lyrics", "auto") and not (use_image or use_video)
    if source == "lyrics" and not use_lyrics:
        raise gr.Error("Write or paste the lyrics first, or switch to the Text tab.", print_exception=False)
    return {
        "image_path": image if use_image else None,
        "video_path": video if use_video else None,
        "cuts_s": (cuts or None) if use_video or source == "auto" else None,
        "video_audio": video_audio or "auto",
        "lyrics": lyrics if use_lyrics else None,
    }


def make_track(
    prompt,
    duration,
    bpm,
    key,
    meter,
    seed,
    decoder,
    variations=1,
    temperature=1.0,
    top_k=250,
    top_p=0.0,
    guidance=3.0,
    audio_clip=None,
    image=None,
    video=None,
    cuts="",
    video_audio="auto",
    source="auto",
    lyrics="",
    vocals="none",
    blend_seed="",
    sound="produced",
    restyle="none",
    restyle_keep=0.6,
    vocals_codec="encodec",
    loop=False,
    weights="shipped",
    library="",
    browser_library="",
    session: gr.Request = None,
    progress=gr.Progress(),
):
    """The `generate` API: yields live preview audio while a streaming engine works, then
    (take 1..4 audio, downloads, plan explanation, seed used, live preview, scored video).
    `source` picks the input: text, image, video, or auto (the video or picture given, if any);
    `restyle` (a diffusion engine) re-makes a video's composed track with its sound; `loop`
    makes a seamless loop (score engines, not with a video or lyrics); `weights` names the
    engine's checkpoint ("shipped", or one of yours: mmgen/checkpoints.py); `library`
    (API callers; the studio keeps its takes itself) keeps every take in that library, where
    /tracks lists them and /rate and /prefer rate them. The reward model trained on the ratings
    of that library or of this browser's (`browser_library`), or on everyone's, puts the takes
    best-liked first and leans the open tempo (python -m mmgen.training.reward)."""
    from mmgen.feedback import taste_model

    if library:
        _checked_library_id(library)
    owner = library or (browser_library if re.fullmatch(r"[0-9a-f]{32}", browser_library or "") else None)
    taste = taste_model(owner)
    media = _media_arguments(source, image, video, cuts, video_audio, lyrics)
    request = mmgen.GenerationRequest(
        prompt=prompt or "",
        duration_s=None if media["lyrics"] else duration,
        tempo_bpm=bpm or None,
        key=None if key in (None, "", AUTO) else key,
        meter=None if meter in (None, "", AUTO) else meter,
        seed=None if str(seed or "").strip() == "" else str(seed).strip(),
        decoder=decoder or "composer",
        variations=variations or 1,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        guidance_scale=guidance,
        vocals=(vocals or "none") if media["lyrics"] else "none",
        vocals_codec=(vocals_codec or "encodec") if media["lyrics"] and vocals in ("bark-small", "bark") else "encodec",
        blend_seed=None if str(blend_seed or "").strip() == "" else str(blend_seed).strip(),
        sound=sound or "produced",
        restyle=(restyle or "none") if media["video_path"] else "none",  # the Video tab's neural sound
        restyle_keep=restyle_keep if restyle_keep not in (None, "") else 0.6,
        loop=bool(loop),
        weights=(weights or "shipped") if plays_own_weights(decoder) else "shipped",
        **_clip_arguments(decoder or "composer", audio_clip),
        **media,
    )
    keep = [gr.skip()] * (MAX_VARIATIONS + 3)
    scored_video = picture = None
    key = getattr(session, "session_hash", None) or ""
    stop = STOP_FLAGS[key] = threading.Event()
    try:
        for result in _run_streaming(request, progress, stop, taste):
            if isinstance(result, np.ndarray):
                yield (*keep, _wav_bytes(result), gr.skip(), gr.skip())
            else:
                tracks = result
        _check_against_library(tracks, owner)
        OUTPUT_ROOT.mkdir(parents=True, exist_ok=True)
        _prune_results()
        folder = Path(tempfile.mkdtemp(prefix="track-", dir=OUTPUT_ROOT))
        files, players, kit_note = [], [], ""
        for track in tracks:
            stem = f"mmgen-{track.plan.style}-{track.request.seed}"
            take = [
                track.save(folder / f"{stem}{suffix}") for suffix in track.formats() if suffix not in (".flac", ".mp4")
            ]
            take.append(track.save_report(folder / f"{stem}.json"))
            if track.audio.stems:  # each part as its own WAV, zipped: they sum to the track
                take.append(_zip_folder(track.save_stems(folder / f"{stem}-stems"), folder / f"{stem}-stems.zip"))
            if track.audio.loop_points and track.audio.stems and not files:  # the best take's game kit
                kit_note = _save_game_kit(track, folder / f"{stem}-game-kit.zip", take)
            if picture is None:  # the best take's waveform and plan, drawn over time
                picture = str(plan_figure(track, folder / f"{stem}-plan.png"))
            if track.video is not None and scored_video is None:  # the best take under the video
                scored_video = str(track.save(folder / f"{stem}.mp4"))
                take.append(scored_video)
            players.append(str(take[0]))
            files += [str(f) for f in take]
    except MmgenError as error:
        raise gr.Error(str(error), print_exception=False) from None
    finally:
        stop.set()  # a job abandoned by its browser (closed tab, Cancel) stops too
        if STOP_FLAGS.get(key) is stop:
            del STOP_FLAGS[key]
    first = tracks[0]
    seeds = sorted(track.request.seed for track in tracks)
    takes = "" if len(tracks) == 1 else f" · {len(tracks)} takes, seeds {seeds[0]}–{seeds[-1]}"
    if "reward" in first.details:
        takes += " · the take your ratings suggest you will like best first"
    elif "clap_score" in first.details:
        takes += f" · best match to the description first (CLAP {first.details['clap_score']:.2f})"
    licence = f"\n\n{kit_note}" if kit_note else ""  # the licence of use is the summary's last line
    licence += f"\n\n{note}" if (note := originality_note(first.details.get("originality"))) else ""
    summary = (
        f"{first.explain()}{licence}\n\n*{first.audio.duration_s:.2f} s · "
        f"{first.mastering.loudness_lufs:.1f} LUFS · seed {first.request.seed}{takes} · "
        f"made in {sum(first.timings_s.values()):.1f} s*\n\n**Licence:** {licence_line(first)}"
    )
    if library:
        remember(
            [],
            library,
            prompt,
            duration,
            decoder,
            first.request.seed,
            players[0],
            files,
            summary,
            picture,
            *players[1:],
        )
    # Take 1 is always shown (a plain path for API callers); takes 2-4 appear when made.
    audio = [players[0]] + [
        gr.update(value=players[i] if i < len(players) else None, visible=i < len(players))
        for i in range(1, MAX_VARIATIONS)
    ]
    yield (
        *audio,
        files,
        summary,
        str(first.request.seed),
        gr.skip(),
        gr.update(value=scored_video, visible=scored_video is not None),
        picture,
    )


EDIT_ACTIONS = ("redo", "longer", "stems")


def edit_track(
    action,
    audio_path,
    prompt="",
    engine="ace-step",
    start_s=0.0,
    end_s=5.0,
    length_s=60.0,
    seed="",
    session: gr.Request = None,
    progress=gr.Progress(),
):
    """Redo start_s..end_s of the track, make it `length_s` long, or split it into stems ->
    (edited audio or None, downloads, what was done). Cancel stops it between denoising steps."""
    from mmgen import edit

    if action not in EDIT_ACTIONS:
        raise gr.Error(f"Unknown edit {action!r}; use one of {', '.join(EDIT_ACTIONS)}.", print_exception=False)
    if not audio_path:
        raise gr.Error("Make a track first, or upload one to edit.", print_exception=False)
    key = getattr(session, "session_hash", None) or ""
    stop = STOP_FLAGS[key] = threading.Event()
    work = {"progress": with_estimate(progress), "should_stop": stop.is_set}
    try:
        track = edit.track_from_file(audio_path, prompt or "")
        OUTPUT_ROOT.mkdir(parents=True, exist_ok=True)
        _prune_results()
        folder = Path(tempfile.mkdtemp(prefix="edit-", dir=OUTPUT_ROOT))
        seed = None if str(seed or "").strip() == "" else str(seed).strip()
        if action == "stems":
            stems = edit.split_stems(track, engine, seed, **work)
            files = edit.save_stems(stems, folder / "mmgen-stems")
            return None, [_zip_folder(files, folder / "mmgen-stems.zip")], licence_note(engine, translated=False)
        if action == "redo":
            edited = edit.redo_part(track, start_s, end_s, engine=engine, seed=seed, **work)
        else:
            edited = edit.make_longer(track, length_s, engine=engine, seed=seed, **work)
    except MmgenError as error:
        raise gr.Error(str(error), print_exception=False) from None
    finally:
        if STOP_FLAGS.get(key) is stop:
            del STOP_FLAGS[key]
    done = edited.details["edits"][-1]
    stem = f"mmgen-{action}-{done['seed']}"
    files = [edited.save(folder / f"{stem}.wav"), edited.save(folder / f"{stem}.mp3")]
    files.append(edited.save_report(folder / f"{stem}.json"))
    note = f"*{edited.audio.duration_s:.2f} s · seed {done['seed']}*\n\n{licence_note(engine, translated=False)}"
    return str(files[0]), [str(f) for f in files], note


def fit_own_track(audio_path, video=None, cuts="", duration=None):
    """The `fit_track` API: the uploaded track conformed to the video's cuts and length (or to
    `cuts` and `duration` without a video) -> (fitted audio, the track under the video or None,
    downloads, what was measured before and after)."""
    from mmgen.fit import fit_track
    from mmgen.post.figure import plan_figure

    if not audio_path:
        raise gr.Error("Upload the track you want to fit first.", print_exception=False)
    try:
        track = fit_track(
            audio_path,
            cuts_s=cuts or None,
            video=video or None,
            duration_s=None if video else (duration or None),
        )
        OUTPUT_ROOT.mkdir(parents=True, exist_ok=True)
        _prune_results()
        folder = Path(tempfile.mkdtemp(prefix="fit-", dir=OUTPUT_ROOT))
        files = [track.save(folder / "mmgen-fitted.wav"), track.save(folder / "mmgen-fitted.mp3")]
        scored = str(track.save(folder / "mmgen-fitted.mp4")) if track.video is not None else None
        files += [*([scored] if scored else []), track.save_report(folder / "mmgen-fitted.json")]
        files.append(plan_figure(track, folder / "mmgen-fitted-plan.png"))
    except MmgenError as error:
        raise gr.Error(str(error), print_exception=False) from None
    done = track.details["conformed"]
    before, after = done["before"], done["after"]
    lines = [
        f"*{track.audio.duration_s:.2f} s at {track.plan.tempo_bpm:.1f} BPM "
        f"(found {track.details['tempo_found_bpm']:.1f}), ending on a downbeat at {done['ends_at_s']:.2f} s*",
        f"Beats off the grid (90 %): {before['beat_to_grid_ms']['p90']} ms before, "
        f"{after['beat_to_grid_ms']['p90']} ms after.",
    ]
    if after["cut_to_beat_ms"]:
        lines.append("Cuts to the nearest beat: " + ", ".join(f"{d} ms" for d in after["cut_to_beat_ms"]) + ".")
    lines += done["notes"]
    return str(files[0]), scored, [str(f) for f in files], "\n\n".join(lines)


def edit_gpu_seconds(action, audio_path, prompt="", engine="ace-step", start_s=0.0, end_s=5.0, length_s=60.0, *_):
    """ZeroGPU: the GPU time to reserve for one edit (stems run the model three times)."""
    music_s = float(length_s or 60) if action == "longer" else float(DURATION_RANGE_S[1])
    return gpu_seconds(engine or "ace-step", False, music_s, 3 if action == "stems" else 1, False)


def edit_action(action: str):
    """The handler of one edit button: `edit_track` for that action, marked for ZeroGPU."""

    def run(
        audio_path,
        prompt="",
        engine="ace-step",
        start_s=0.0,
        end_s=5.0,
        length_s=60.0,
        seed="",
        session: gr.Request = None,
        progress=gr.Progress(),
    ):
        return edit_track(action, audio_path, prompt, engine, start_s, end_s, length_s, seed, session, progress)

    run.__name__ = run.__qualname__ = f"edit_{action}"
    return on_zero_gpu(run, duration=lambda *args, **kwargs: edit_gpu_seconds(action, *args, **kwargs))


def make_track_gpu_seconds(*args, **kwargs) -> int:
    """ZeroGPU: the GPU time to reserve for one make_track call (its own arguments)."""
    call = inspect.signature(make_track).bind_partial(*args, **kwargs)
    call.apply_defaults()
    given = call.arguments
    decoder = given["decoder"] or "composer"
    offline = next((row["offline"] for row in mmgen.available_decoders() if row["name"] == decoder), False)
    music_s = float(DURATION_RANGE_S[1] if given["video"] or given["lyrics"] else given["duration"] or 30)
    sung = bool(given["lyrics"]) and given["vocals"] not in (None, "", "none")
    takes = int(given["variations"] or 1)
    if given["video"] and given["restyle"] not in (None, "", "none"):  # the composed track re-made on the GPU
        return gpu_seconds(given["restyle"], False, music_s, takes, sung)
    return gpu_seconds(decoder, offline, music_s, takes, sung)


# Live music: one LiveSession per browser session, fed bar by bar to a streaming player, each bar
# made just before it is due (LiveSession.paced), so a control change is heard from the next bar.
LIVE_SESSIONS: dict[str, object] = {}
LIVE_MAX_S = 20 * 60  # one Start plays up to this long
LIVE_ENGINES = ("composer", "symbolic-transformer", "symbolic-lstm")


def _live_controls(style: str, energy: float, tempo: float, key: str):
    from mmgen.live import LiveControls

    return LiveControls(
        style=style or "", energy=energy, tempo_bpm=tempo or None, key=None if key in (None, "", AUTO) else key
    )


def live_play(style, energy, tempo, key, engine, session: gr.Request = None, clock=time.monotonic, sleep=time.sleep):
    """The `live` API: yields (a bar of audio as WAV bytes, what is playing) without end, until
    Stop (or LIVE_MAX_S); the controls may change meanwhile through `live_change`."""
    from mmgen.live import LiveSession, live_availability

    status = live_availability()
    if not status.ok:
        raise gr.Error(f"Live music is not available here: {status.reason}", print_exception=False)
    try:
        live = LiveSession(_live_controls(style, energy, tempo, key), engine=engine or "composer")
    except MmgenError as error:
        raise gr.Error(str(error), print_exception=False) from None
    name = getattr(session, "session_hash", None) or ""
    LIVE_SESSIONS[name] = live
    try:
        for chunk in live.paced(clock, sleep):
            if chunk.start_s >= LIVE_MAX_S or LIVE_SESSIONS.get(name) is not live:
                break
            yield (
                _wav_bytes(chunk.audio),
                (
                    f"Bar {chunk.index + 1} · {chunk.style} · {chunk.tempo_bpm:.0f} BPM · {chunk.key} · "
                    f"energy {chunk.energy:.2f}" + (f" · {chunk.transition}" if chunk.transition else "")
                ),
            )
    finally:
        if LIVE_SESSIONS.get(name) is live:
            del LIVE_SESSIONS[name]
        live.close()


def live_change(style, energy, tempo, key, session: gr.Request = None) -> None:
    """New controls for this browser's live session, heard from the next bar it makes."""
    live = LIVE_SESSIONS.get(getattr(session, "session_hash", None) or "")
    if live is None:
        return
    try:
        wanted = _live_controls(style, energy, tempo, key)
        live.set(style=wanted.style, energy=wanted.energy, tempo_bpm=wanted.tempo_bpm, key=wanted.key)
    except MmgenError as error:
        raise gr.Error(str(error), print_exception=False) from None


def live_stop(session: gr.Request = None) -> None:
    LIVE_SESSIONS.pop(getattr(session, "session_hash", None) or "", None)


def _examples(samples: list, inputs: list, **options) -> gr.Examples:
    """gr.Examples without column headers: Gradio's frontend does not translate them (it would
    show the i18n keys), and the heading above says what the examples are."""
    shown = gr.Examples(samples, inputs=inputs, **options)
    shown.dataset.headers = []
    return shown


def build_app() -> gr.Blocks:
    examples = json.loads((ASSETS / "examples.json").read_text(encoding="utf-8"))
    lyric_examples = json.loads((ASSETS / "lyrics_examples.json").read_text(encoding="utf-8"))
    media_examples = json.loads((ASSETS / "media_examples.json").read_text(encoding="utf-8"))
    choices, default_decoder, unavailable_note = decoder_choices(translated=True)
    editors, editors_missing = diffusion_engines()  # what can restyle and edit here
    # What the lists show is translated; the values (the API's) stay "Auto", "D minor", "3/4".
    key_choices = [(i18n("auto"), AUTO)] + [
        (f"{name} " + i18n(f"key_{mode}"), choice) for choice in KEY_CHOICES[1:] for name, mode in [choice.split(" ")]
    ]
    meter_choices = [(i18n("auto"), AUTO)] + [(meter, meter) for meter in METER_CHOICES[1:]]
    # Gradio's cached copies of results: every 10 minutes, those older than 30 minutes go.
    with Studio(title="mmgen studio", delete_cache=(600, 1800)) as app:
        # This browser's library id, sealed in its localStorage (mounted at the top: a component in
        # a closed accordion is not, and would neither read nor write it)
        library_id = gr.BrowserState("", storage_key="mmgen-library", secret=browser_secret(data_folder()))
        gr.Markdown(i18n("intro"))
        with gr.Row():
            with gr.Column(scale=3):
                # Which tab is showing (hidden, but part of the API: "auto" uses whatever file is given).
                source = gr.Textbox(value="auto", visible=False, label="Source")
                with gr.Tabs():
                    with gr.Tab(i18n("tab_text"), id="text") as text_tab:
                        gr.Markdown(i18n("text_hint"))
                    with gr.Tab(i18n("tab_image"), id="image") as image_tab:
                        image = gr.Image(
                            label=i18n("image_label"),
                            type="filepath",
                            sources=["upload", "clipboard"],
                            height=220,
                        )
                        gr.Markdown(i18n("image_hint"))
                        _examples(
                            [[str(ASSETS / e["file"])] for e in media_examples["image"]],
                            inputs=[image],
                            label=i18n("image_examples"),
                            example_labels=[e["label"] for e in media_examples["image"]],
                        )
                    with gr.Tab(i18n("tab_lyrics"), id="lyrics") as lyrics_tab:
                        lyrics = gr.Textbox(
                            label=i18n("lyrics_label"),
                            lines=8,
                            max_length=5000,
                            value="",
                            placeholder=i18n("lyrics_placeholder"),
                            info=i18n("lyrics_info"),
                        )
                        _examples(
                            [[e["lyrics"]] for e in lyric_examples],
                            inputs=[lyrics],
                            label=i18n("lyrics_examples"),
                            examples_per_page=3,
                        )
                        singers, singers_note = vocal_choices()
                        vocals = gr.Dropdown(singers, value="none", label=i18n("vocals_label"))
                        vocals_codec = gr.Radio(
                            [(i18n("vocals_codec_encodec"), "encodec"), (i18n("vocals_codec_vocos"), "vocos")],
                            value="encodec",
                            label=i18n("vocals_codec_label"),
                            visible=vocos_offered(),  # only where Vocos and EnCodec 24 kHz load
                        )
                        if singers_note:
                            gr.Markdown(f"<small>{singers_note}</small>")
                    with gr.Tab(i18n("tab_video"), id="video") as video_tab:
                        video = gr.Video(label=i18n("video_label"), sources=["upload"], height=220)
                        cuts = gr.Textbox(
                            value="",
                            label=i18n("cuts_label"),
                            placeholder=i18n("cuts_placeholder"),
                            info=i18n("cuts_info"),
                        )
                        video_audio = gr.Radio(
                            [(i18n(f"video_audio_{mode}"), mode) for mode in ("auto", "music", "mix", "duck")],
                            value="auto",
                            label=i18n("video_audio_label"),
                        )
                        with gr.Row(visible=bool(editors)):
                            restyle = gr.Dropdown(
                                [(i18n("restyle_none"), "none")] + [(name, name) for name in editors],
                                value="none",
                                label=i18n("restyle_label"),
                                info=i18n("restyle_info"),
                            )
                            restyle_keep = gr.Slider(0.1, 1.0, value=0.6, step=0.05, label=i18n("restyle_keep_label"))
                        with gr.Accordion(i18n("fit_title"), open=False):
                            gr.Markdown(i18n("fit_hint"))
                            own_track = gr.Audio(
                                label=i18n("fit_source_label"), type="filepath", sources=["upload"], interactive=True
                            )
                            fit = gr.Button(i18n("fit_button"))
                            fitted = gr.Audio(label=i18n("fitted_label"), type="filepath", interactive=False)
                            fitted_video = gr.Video(label=i18n("scored_label"), interactive=False, height=220)
                            fit_files = gr.File(
                                label=i18n("fit_downloads_label"), file_count="multiple", interactive=False, height=140
                            )
                            fit_note = gr.Markdown()
                        _examples(
                            [[str(ASSETS / e["file"])] for e in media_examples["video"]],
                            inputs=[video],
                            label=i18n("video_examples"),
                            example_labels=[e["label"] for e in media_examples["video"]],
                        )
                    with gr.Tab(i18n("tab_live"), id="live") as live_tab:
                        gr.Markdown(i18n("live_hint"))
                        live_style = gr.Textbox(
                            value="chiptune level music", label=i18n("live_style_label"), max_length=MAX_PROMPT_CHARS
                        )
                        live_energy = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label=i18n("live_energy_label"))
                        with gr.Row():
                            live_tempo = gr.Slider(
                                0, 200, value=0, step=1, label=i18n("live_tempo_label"), info=i18n("live_tempo_info")
                            )
                            live_key = gr.Dropdown(key_choices, value=AUTO, label=i18n("key_label"))
                        live_engine = gr.Radio(
                            [(name, name) for name in LIVE_ENGINES], value="composer", label=i18n("live_engine_label")
                        )
                        with gr.Row():
                            live_start = gr.Button(i18n("live_start"), variant="primary")
                            live_halt = gr.Button(i18n("live_stop"), variant="stop")
                        live_player = gr.Audio(
                            label=i18n("live_player_label"), streaming=True, autoplay=True, interactive=False
                        )
                        live_status = gr.Markdown()
                with gr.Column() as track_controls:
                    prompt = gr.Textbox(
                        label=i18n("prompt_label"),
                        lines=3,
                        max_length=MAX_PROMPT_CHARS,
                        placeholder=i18n("prompt_placeholder"),
                        info=i18n("prompt_info"),
                    )
                    duration = gr.Slider(
                        *DURATION_RANGE_S,
                        value=30,
                        step=0.5,
                        label=i18n("duration_label"),
                        info=i18n("duration_info"),
                    )
                    with gr.Accordion(i18n("fine_tune"), open=False):
                        with gr.Row():
                            bpm = gr.Number(
                                value=0, label=i18n("bpm_label"), info=i18n("bpm_info"), minimum=0, maximum=300
                            )
                            key = gr.Dropdown(key_choices, value=AUTO, label=i18n("key_label"))
                            meter = gr.Dropdown(meter_choices, value=AUTO, label=i18n("meter_label"))
                        with gr.Row():
                            seed = gr.Textbox(
                                value="",
                                label=i18n("seed_label"),
                                placeholder=i18n("seed_placeholder"),
                                info=i18n("seed_info"),
                            )
                            dice = gr.Button(i18n("new_seed"), size="sm")
                        decoder = gr.Dropdown(choices, value=default_decoder, label=i18n("engine_label"))
                        licence = gr.Markdown(licence_note(default_decoder))
                        weights = weights_control(
                            default_decoder, label=i18n("weights_label"), info=i18n("weights_info")
                        )
                        sound = gr.Radio(
                            [(i18n("sound_produced"), "produced"), (i18n("sound_general_midi"), "general-midi")],
                            value="produced",
                            label=i18n("sound_label"),
                            info=i18n("sound_info"),
                        )
                        loop = gr.Checkbox(False, label=i18n("loop_label"), info=i18n("loop_info"))
                        if unavailable_note:
                            gr.Markdown(unavailable_note)
                        variations = gr.Slider(
                            1,
                            MAX_VARIATIONS,
                            value=1,
                            step=1,
                            label=i18n("takes_label"),
                            info=i18n("takes_info"),
                        )
                        blend_seed = gr.Textbox(
                            value="",
                            label=i18n("blend_label"),
                            placeholder=i18n("blend_placeholder"),
                            info=i18n("blend_info"),
                        )
                    with gr.Accordion(i18n("advanced"), open=False):
                        gr.Markdown(i18n("advanced_hint"))
                        with gr.Row():
                            temperature = gr.Slider(
                                0.05,
                                3.0,
                                value=1.0,
                                step=0.05,
                                label=i18n("temperature_label"),
                                info=i18n("temperature_info"),
                            )
                            guidance = gr.Slider(
                                1.0,
                                15.0,
                                value=3.0,
                                step=0.5,
                                label=i18n("guidance_label"),
                                info=i18n("guidance_info"),
                            )
                        with gr.Row():
                            top_k = gr.Slider(
                                0, 2048, value=250, step=1, label=i18n("top_k_label"), info=i18n("off_info")
                            )
                            top_p = gr.Slider(
                                0.0, 1.0, value=0.0, step=0.05, label=i18n("top_p_label"), info=i18n("off_info")
                            )
                        audio_clip = gr.Audio(
                            label=i18n("clip_label"),
                            sources=["upload", "microphone"],
                            type="filepath",
                        )
                    with gr.Row():
                        generate = gr.Button(i18n("generate"), variant="primary", scale=3)
                        cancel = gr.Button(i18n("cancel"), variant="stop", scale=1)
            with gr.Column(scale=4) as results:
                live = gr.Audio(
                    label=i18n("live_label"),
                    streaming=True,
                    autoplay=True,
                    interactive=False,
                    visible=_streams(default_decoder),
                )
                players = [
                    gr.Audio(
                        label=i18n("track_label") if i == 0 else i18n("take_label") + f" {i + 1}",
                        type="filepath",
                        interactive=False,
                        visible=i == 0,
                    )
                    for i in range(MAX_VARIATIONS)
                ]
                scored = gr.Video(label=i18n("scored_label"), visible=False, interactive=False)
                picture = gr.Image(
                    label=i18n("picture_label"),
                    type="filepath",
                    interactive=False,
                    show_label=True,
                    height=300,
                )
                plan_text = gr.Markdown(label=i18n("plan_label"), value=i18n("plan_placeholder"))
                downloads = gr.File(label=i18n("downloads_label"), file_count="multiple", interactive=False)
                shown_track = gr.State("")  # the library id of the track in the player: what is rated or deleted
                with gr.Row():
                    like = gr.Button(i18n("like_button"), size="sm", interactive=False)  # once a track is kept
                    dislike = gr.Button(i18n("dislike_button"), size="sm", interactive=False)
                api_library = gr.Textbox("", visible=False)  # API callers name their library here
                taste_from = gr.Textbox("", visible=False)  # this browser's library: whose ratings lean the takes
                take_ids = gr.State([])  # the library ids of the takes just made, in player order
                with gr.Row(visible=False, equal_height=True) as pick_row:
                    best_take = gr.Radio([], label=i18n("best_take_label"), scale=3)
                    pick = gr.Button(i18n("pick_button"), size="sm", scale=1)
                rating_note = gr.Markdown()
                with gr.Accordion(i18n("edit_title"), open=False):
                    gr.Markdown(i18n("edit_hint"))
                    if not editors:
                        gr.Markdown("<small>" + i18n("edit_unavailable") + f" {editors_missing}</small>")
                    with gr.Column(visible=bool(editors)):
                        edit_source = gr.Audio(
                            label=i18n("edit_source_label"), type="filepath", sources=["upload"], interactive=True
                        )
                        edit_engine = gr.Dropdown(
                            editors, value=editors[0] if editors else None, label=i18n("edit_engine_label")
                        )
                        with gr.Row(equal_height=True):
                            redo_start = gr.Number(value=0, minimum=0, label=i18n("redo_start_label"), scale=1)
                            redo_end = gr.Number(value=5, minimum=0, label=i18n("redo_end_label"), scale=1)
                            redo = gr.Button(i18n("redo_button"), scale=1)
                        with gr.Row(equal_height=True):
                            new_length = gr.Number(60, minimum=5, maximum=600, label=i18n("longer_label"), scale=2)
                            longer = gr.Button(i18n("longer_button"), scale=1)
                        stems = gr.Button(i18n("stems_button"))
                        edited = gr.Audio(label=i18n("edited_label"), type="filepath", interactive=False)
                        edit_files = gr.File(
                            label=i18n("downloads_label"), file_count="multiple", interactive=False, height=140
                        )
                        edit_note = gr.Markdown()
                with gr.Accordion(i18n("history"), open=False):
                    history = gr.State([])
                    history_table = gr.Dataframe(
                        headers=list(HISTORY_COLUMNS),
                        value=[],
                        interactive=False,
                        wrap=True,
                        label=i18n("history_label"),
                    )
                    forget = gr.Button(i18n("delete_button"), size="sm", variant="stop")
                    gr.Markdown(i18n("library_note"))
                    if os.environ.get("OAUTH_CLIENT_ID"):  # a Space with hf_oauth: your tracks go with your account
                        gr.LoginButton(size="sm")
        with gr.Column() as prompt_examples:
            _examples(
                [[e["prompt"], e["duration_s"]] for e in examples],
                inputs=[prompt, duration],
                label=i18n("prompt_examples"),
            )
        dice.click(lambda: str(random.randint(0, MAX_SEED)), outputs=seed, api_visibility="private")
        for tab, name in ((text_tab, "text"), (image_tab, "image"), (lyrics_tab, "lyrics"), (video_tab, "video")):
            tab.select(
                lambda name=name: (name, *[gr.Column(visible=True)] * 3),
                outputs=[source, track_controls, results, prompt_examples],
                api_visibility="private",
            )
        # Live plays on its own controls: the track's prompt, Generate and results would only confuse there.
        live_tab.select(
            lambda: [gr.Column(visible=False)] * 3,
            outputs=[track_controls, results, prompt_examples],
            api_visibility="private",
        )
        job = generate.click(
            on_zero_gpu(make_track, duration=make_track_gpu_seconds),
            inputs=[
                prompt,
                duration,
                bpm,
                key,
                meter,
                seed,
                decoder,
                variations,
                temperature,
                top_k,
                top_p,
                guidance,
                audio_clip,
                image,
                video,
                cuts,
                video_audio,
                source,
                lyrics,
                vocals,
                blend_seed,
                sound,
                restyle,
                restyle_keep,
                vocals_codec,
                loop,
                weights,
                api_library,
                taste_from,
            ],
            outputs=[*players, downloads, plan_text, seed, live, scored, picture],
            api_name="generate",
            concurrency_limit=1,
        )
        decoder.change(
            lambda name: (gr.update(visible=_streams(name)), licence_note(name), weights_control(name)),
            inputs=decoder,
            outputs=[live, licence, weights],
            api_visibility="private",
        )
        job.success(lambda path: path, inputs=players[0], outputs=edit_source, api_visibility="private")
        edit_inputs = [edit_source, prompt, edit_engine, redo_start, redo_end, new_length, seed]
        edits = [
            button.click(
                edit_action(action),
                inputs=edit_inputs,
                outputs=[edited, edit_files, edit_note],
                api_name=f"edit_{action}",
                concurrency_limit=1,
            )
            for button, action in ((redo, "redo"), (longer, "longer"), (stems, "stems"))
        ]
        fitting = fit.click(
            fit_own_track,
            inputs=[own_track, video, cuts, duration],
            outputs=[fitted, fitted_video, fit_files, fit_note],
            api_name="fit_track",
            concurrency_limit=1,
        )
        live_controls = [live_style, live_energy, live_tempo, live_key]
        playing = live_start.click(
            live_play,
            inputs=[*live_controls, live_engine],
            outputs=[live_player, live_status],
            api_name="live",
            concurrency_limit=4,
            concurrency_id="live",
        )
        for event in (live_energy.release, live_tempo.release, live_key.change, live_style.submit, live_style.blur):
            event(live_change, inputs=live_controls, api_visibility="private", queue=False)
        live_halt.click(live_stop, cancels=[playing], api_visibility="private", queue=False)
        cancel.click(stop_generation, cancels=[job, *edits, fitting], api_visibility="private", queue=False)
        kept = job.success(
            remember,
            inputs=[history, library_id, prompt, duration, decoder, seed, players[0], downloads, plan_text, picture]
            + players[1:],
            outputs=[history, history_table, shown_track, take_ids],
            api_visibility="private",
        )
        kept.then(_rating_buttons, inputs=shown_track, outputs=[like, dislike], api_visibility="private")
        kept.then(_pick_controls, inputs=take_ids, outputs=[pick_row, best_take], api_visibility="private")
        pick.click(pick_take, inputs=[library_id, take_ids, best_take], outputs=rating_note, api_visibility="private")
        history_table.select(
            recall,
            inputs=[history, library_id],
            outputs=[players[0], downloads, plan_text, picture, prompt, duration, decoder, seed, shown_track],
            api_visibility="private",
        ).then(_rating_buttons, inputs=shown_track, outputs=[like, dislike], api_visibility="private")
        app.load(
            open_library, inputs=library_id, outputs=[library_id, history, history_table], api_visibility="private"
        ).then(lambda opened: opened, inputs=library_id, outputs=taste_from, api_visibility="private")
        for button, rating in ((like, "like"), (dislike, "dislike")):
            button.click(
                lambda who, which, rating=rating: rate_track(who, which, rating),
                inputs=[library_id, shown_track],
                outputs=rating_note,
                api_visibility="private",
            )
        forget.click(
            delete_track,
            inputs=[history, library_id, shown_track],
            outputs=[history, history_table, shown_track, rating_note],
            api_visibility="private",
        ).then(_rating_buttons, inputs=shown_track, outputs=[like, dislike], api_visibility="private")
        for handler, name in ((api_tracks, "tracks"), (api_rate, "rate"), (api_prefer, "prefer")):
            gr.api(handler, api_name=name)
    return app


def main() -> None:
    host = os.environ.get("GRADIO_SERVER_NAME") or ("0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    app = build_app()
    app.queue(max_size=MAX_QUEUE, default_concurrency_limit=1)
    app.launch(server_name=host, server_port=port, show_error=False, max_file_size=MAX_UPLOAD, i18n=i18n)


if __name__ == "__main__":
    main()
