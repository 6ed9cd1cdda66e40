"""The Gradio app served for real on loopback, driven through gradio_client."""

import json
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mmgen.ffmpeg import system_ffmpeg


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server, verbose=False)


def path_of(output):
    """A player's file: a plain path, or the value of a visibility update (None when hidden)."""
    return output.get("value") if isinstance(output, dict) else output


def test_generate_through_the_api(client):
    audio, *others, files, summary, seed, _live, _scored, picture = client.predict(
        "bossa nova for a cooking video", 8, 0, "A minor", "Auto", "42", "composer", api_name="/generate"
    )
    assert seed == "42" and len(others) == 3 and not any(path_of(o) for o in others)  # hidden takes
    info = sf.info(audio)
    assert info.samplerate == 44100 and abs(info.duration - 8.0) <= 0.01
    suffixes = sorted(Path(f).suffix for f in files)
    assert suffixes == [".json", ".mid", ".mp3", ".wav", ".zip"]
    assert "A minor" in summary and "bossa" in summary.lower()
    assert "**Originality:** original" in summary or "**Originality:** similar" in summary  # checked, and said
    assert Path(picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the track and its plan, drawn
    # the stems, zipped: each part with its own reverb, and its notes, summing to the track (24-bit files)
    import zipfile

    with zipfile.ZipFile(next(f for f in files if f.endswith(".zip"))) as archive:
        names = archive.namelist()
        stems = [sf.read(archive.open(name), dtype="float32")[0] for name in names if name.endswith(".wav")]
    assert any(name.endswith("/bass.wav") for name in names) and any(n.endswith("/bass.mid") for n in names)
    track, _ = sf.read(audio, dtype="float32")
    assert np.abs(sum(stems) - track).max() < 1e-4


def test_the_general_midi_sound_through_the_api(client):
    """The plain SoundFont sound, asked for by name: no stems to download."""
    *_players, files, _summary, _seed, _live, _scored, _picture = client.predict(
        *("lofi beat", 6, 0, "Auto", "Auto", "7", "composer", 1, 1.0, 250, 0.0, 3.0),
        *(None, None, None, "", "auto", "auto", "", "none", "", "general-midi"),
        api_name="/generate",
    )
    assert files and not [f for f in files if f.endswith(".zip")]


def test_a_seamless_loop_through_the_api(client):
    """Make it loop: the WAV holds its loop points (a smpl chunk), an Ogg comes with LOOPSTART,
    and the game kit comes with them."""
    *_players, files, summary, _seed, _live, _scored, _picture = client.predict(
        *("chiptune level music", 8, 0, "Auto", "Auto", "5", "composer", 1, 1.0, 250, 0.0, 3.0),
        *(None, None, None, "", "auto", "auto", "", "none", "", "produced", "none", 0.6, "encodec", True),
        api_name="/generate",
    )
    suffixes = sorted(Path(f).suffix for f in files)
    assert suffixes == [".json", ".mid", ".mp3", ".ogg", ".wav", ".zip", ".zip"]
    kit = next(f for f in files if f.endswith("-game-kit.zip"))
    assert "manifest.json" in zipfile.ZipFile(kit).namelist() and "Game kit: layers calm" in summary
    wav = next(f for f in files if f.endswith(".wav"))
    assert b"smpl" in Path(wav).read_bytes()[-200:] and "seamless loop" in summary
    from mutagen.oggvorbis import OggVorbis

    assert OggVorbis(next(f for f in files if f.endswith(".ogg"))).tags["LOOPSTART"] == ["0"]


def test_takes_through_the_api(client):
    *players, files, summary, _seed, _live, _scored, _picture = client.predict(
        "lofi beat", 6, 0, "Auto", "Auto", "7", "composer", 3, 1.0, 250, 0.0, 3.0, api_name="/generate"
    )
    assert [bool(path_of(p)) for p in players] == [True, True, True, False]
    assert len([f for f in files if f.endswith(".wav")]) == 3
    assert "3 takes, seeds 7–9" in summary


@pytest.mark.parametrize(
    "args, message",
    [
        # Gradio checks its own component limits first; either message tells the user what to fix.
        (("lofi", 2, 0, "Auto", "Auto", "1", "composer"), "between 5 and 600|less than minimum value 5"),
        (("lofi", 10, 999, "Auto", "Auto", "1", "composer"), "between 30 and 300|greater than maximum value 300"),
        (("lofi", 10, 20, "Auto", "Auto", "1", "composer"), "between 30 and 300"),
        (("x" * 5000, 10, 0, "Auto", "Auto", "1", "composer"), "under 2,000"),
        (("bad \x01 text", 10, 0, "Auto", "Auto", "1", "composer"), "control character"),
        (("lofi", 10, 0, "H minor", "Auto", "1", "composer"), "don't know the key|not in the list of choices"),
        (("lofi", 10, 0, "Auto", "7/8", "1", "composer"), "can't write music in|not in the list of choices"),
        (("lofi", 10, 0, "Auto", "Auto", "1", "nope"), "no decoder called|not in the list of choices"),
        (("lofi", 10, 0, "Auto", "Auto", "seven", "composer"), "seed must be a number"),
    ],
)
def test_bad_input_comes_back_as_a_message(client, args, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/generate")


def test_helper_events_are_not_in_the_api(client):
    """Only making, editing and fitting tracks and playing live are API endpoints; the helper
    events (tabs, dice, history, live control changes) are not."""
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/generate", "/edit_redo", "/edit_longer", "/edit_stems", "/fit_track", "/live"] + [
        "/tracks",
        "/rate",
        "/prefer",
    ]


def test_empty_seed_means_a_new_random_seed(client):
    seeds = {client.predict("pop", 5, 0, "Auto", "Auto", "", "composer", api_name="/generate")[-4] for _ in range(2)}
    assert len(seeds) == 2 and all(s.isdigit() for s in seeds)


@pytest.mark.skipif(not system_ffmpeg(), reason="Gradio streams audio through ffmpeg and ffprobe (apt install ffmpeg)")
def test_musicgen_streams_a_live_preview(client):
    """A streaming engine sends take 1 piece by piece (an HLS playlist of AAC segments) before
    the finished track arrives."""
    job = client.submit("jazz", 5, 0, "Auto", "Auto", "3", "musicgen", api_name="/generate")
    final = job.result(timeout=300)
    updates = job.outputs()
    streamed = [update[-3] for update in updates[:-1]]  # pieces that queue up meanwhile are sent together
    assert len(streamed) >= 2 and all(str(s).endswith("playlist.m3u8") for s in streamed)
    assert updates[-1][-4] == "3" and sf.info(final[0]).duration == pytest.approx(5.0, abs=0.01)


def test_a_diffusion_engine_says_its_licence(client):
    """ACE-Step (a tiny random one here) makes the track, and the plan text says what its weights'
    licence allows; it does not stream, so nothing comes before the finished track."""
    job = client.submit("upbeat pop", 6, 0, "Auto", "Auto", "4", "ace-step", api_name="/generate")
    final = job.result(timeout=300)
    assert len(job.outputs()) == 1
    assert sf.info(final[0]).duration == pytest.approx(6.0, abs=0.01)
    assert final[5].rstrip().endswith("**Licence:** MIT licence (ACE-Step 1.5): the tracks may be used commercially.")
    files = [Path(f) for f in final[4]]
    assert {f.suffix for f in files} == {".wav", ".mp3", ".json"}  # latents have no file of their own


def test_the_edit_api_redoes_a_part_and_splits_stems(client, tmp_path):
    """The studio's editing, through the API: redo 1-3 s of an uploaded track (the rest stays as it
    was), and split it into stems."""
    from gradio_client import handle_file

    source = tmp_path / "mine.wav"
    original = (0.2 * np.random.default_rng(0).standard_normal((6 * 44100, 2))).astype(np.float32)
    sf.write(source, original, 44100, subtype="PCM_16")  # exact in the 24-bit WAV that comes back
    original = sf.read(source, dtype="float32")[0]
    audio, files, note = client.predict(
        handle_file(str(source)), "ambient", "ace-step", 1, 3, 60, "7", api_name="/edit_redo"
    )
    edited, rate = sf.read(audio, dtype="float32")
    assert rate == 44100 and edited.shape == original.shape and "seed 7" in note and "MIT" in note
    np.testing.assert_array_equal(edited[3 * 44100 :], original[3 * 44100 :])
    assert not np.array_equal(edited[44100 : 3 * 44100], original[44100 : 3 * 44100])
    assert {Path(f).suffix for f in files} == {".wav", ".mp3", ".json"}
    audio, files, _ = client.predict(handle_file(str(source)), "", "ace-step", 0, 5, 60, "", api_name="/edit_stems")
    assert audio is None and [Path(f).name for f in files] == ["mmgen-stems.zip"]
    with pytest.raises(Exception, match="inside the track"):
        client.predict(handle_file(str(source)), "", "ace-step", 4, 2, 60, "", api_name="/edit_redo")


def test_a_video_comes_back_with_its_soundtrack(client, tmp_path):
    from gradio_client import handle_file
    from media import make_video

    from mmgen.encoders.video import probe_video

    edit = make_video(tmp_path / "edit.mp4", [2.4, 3.2, 2.4])
    result = client.predict(
        "",
        30,
        0,
        "Auto",
        "Auto",
        "8",
        "composer",
        1,
        1.0,
        250,
        0.0,
        3.0,
        None,
        None,
        handle_file(str(edit)),
        "",
        "auto",
        "video",
        api_name="/generate",
    )
    audio, *_, files, summary, _seed, _live, scored, _picture = result
    scored_path = path_of(scored)
    assert abs(probe_video(scored_path).duration_s - probe_video(edit).duration_s) <= 1 / 25
    assert sf.info(audio).duration == pytest.approx(8.0, abs=0.01)
    assert any(f.endswith(".mp4") for f in files) and "cuts on a beat" in summary


def test_my_own_track_is_fitted_to_the_video(client, tmp_path, make_track):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError
    from media import make_video

    from mmgen.encoders.video import probe_video
    from mmgen.post.stretch import time_map_missing

    if time_map_missing():
        pytest.skip(time_map_missing())
    mine = make_track("upbeat pop with drums", 20, seed=3, tempo_bpm=96)
    source = tmp_path / "mine.wav"
    sf.write(source, mine.audio.samples.T, 44100)
    edit = make_video(tmp_path / "edit.mp4", [4.2, 5.0, 6.4])
    audio, scored, files, note = client.predict(
        handle_file(str(source)), handle_file(str(edit)), "", 30, api_name="/fit_track"
    )
    length = probe_video(edit).duration_s
    assert sf.info(audio).duration == pytest.approx(length, abs=1e-4)
    assert abs(probe_video(path_of(scored)).duration_s - length) <= 1 / 25
    assert sorted(Path(f).suffix for f in files) == [".json", ".mp3", ".mp4", ".png", ".wav"]
    assert "Cuts to the nearest beat" in note and "ms after" in note
    with pytest.raises(AppError, match="Upload the track"):
        client.predict(None, handle_file(str(edit)), "", 30, api_name="/fit_track")


def test_a_missing_picture_is_explained(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Add a picture first"):
        client.predict(
            "",
            10,
            0,
            "Auto",
            "Auto",
            "1",
            "composer",
            1,
            1.0,
            250,
            0.0,
            3.0,
            None,
            None,
            None,
            "",
            "auto",
            "image",
            api_name="/generate",
        )


def test_lyrics_become_a_song(client):
    lyrics = "[Verse]\nI walked along the river late at night\n\n[Chorus]\nTonight we are on fire"
    result = client.predict(
        "folk",
        30,
        0,
        "Auto",
        "Auto",
        "5",
        "composer",
        1,
        1.0,
        250,
        0.0,
        3.0,
        None,
        None,
        None,
        "",
        "auto",
        "lyrics",
        lyrics,
        api_name="/generate",
    )
    audio, *_, files, summary, _seed, _live, _scored, _picture = result
    assert "Song form" in summary and "Verse 1" in summary
    assert any(f.endswith(".mid") for f in files) and sf.info(audio).duration < 30  # the song's own length


def _made_take(folder: Path, i: int) -> tuple[str, list[str], str]:
    """A take's files as make_track leaves them: player WAV, downloads with the report, figure."""
    folder.mkdir(parents=True, exist_ok=True)
    wav, mp3, report, png = (folder / f"song-{i}{ext}" for ext in (".wav", ".mp3", ".json", "-plan.png"))
    sf.write(wav, np.zeros((4410, 2), np.float32), 44100)
    mp3.write_bytes(b"ID3" + bytes(100))
    report.write_text(json.dumps({"request": {"prompt": f"song {i}"}, "seed": i, "decoder": "composer"}))
    png.write_bytes(b"\x89PNG" + bytes(100))
    return str(wav), [str(wav), str(mp3), str(report)], str(png)


def test_your_tracks_are_kept_in_the_library_and_come_back(tmp_path):
    """The history handlers on the real library: newest first, at most MAX_HISTORY; a reload (or
    a restart) brings them back; a picked row returns its files (served copies), plan and
    settings; like, dislike and delete act on the track shown; another browser sees none."""
    import importlib

    from gradio import SelectData

    app = importlib.import_module("app")
    browser, _history, _rows = app.open_library("")  # a first visit: a new library id
    assert len(browser) == 32
    history: list = []
    for i in range(app.MAX_HISTORY + 2):
        player, files, figure = _made_take(tmp_path / str(i), i)
        history, rows, shown, _takes = app.remember(
            history, browser, f"song {i}", 10 + i, "composer", str(i), player, files, f"plan {i}", figure
        )
    assert len(history) == app.MAX_HISTORY and rows[0][1] == f"song {app.MAX_HISTORY + 1}" and shown
    same, reloaded, reloaded_rows = app.open_library(browser)  # the page is reloaded
    assert same == browser and reloaded_rows == rows
    picked = app.recall(reloaded, browser, SelectData(None, {"index": [1, 0], "value": rows[1][0], "selected": True}))
    track, files, summary, figure, prompt, duration, decoder, seed, picked_id = picked
    n = app.MAX_HISTORY
    assert (summary, prompt, duration, decoder, seed) == (f"plan {n}", f"song {n}", 10 + n, "composer", str(n))
    assert Path(track).name == f"song-{n}.wav" and Path(track).is_relative_to(app.OUTPUT_ROOT)  # a served copy
    assert [Path(f).name for f in files] == [f"song-{n}.wav", f"song-{n}.mp3", f"song-{n}.json"]
    assert Path(figure).read_bytes()[:4] == b"\x89PNG"
    assert "Liked" in app.rate_track(browser, picked_id, "like")
    assert [r["kind"] for r in app.library_store().ratings(browser)] == ["like"]
    history, rows, shown, note = app.delete_track(reloaded, browser, picked_id)
    assert len(history) == n - 1 and shown == "" and "Deleted" in note
    assert picked_id not in {t.id for t in app.library_store().tracks(browser)}
    assert app.open_library(uuid.uuid4().hex)[1] == []  # another browser's library is empty


def test_without_a_usable_library_tracks_are_still_remembered_for_the_tab(tmp_path, monkeypatch):
    import importlib

    import gradio as gr

    app = importlib.import_module("app")
    monkeypatch.setattr(app, "_LIBRARY", ["Your track library cannot be used: the file is damaged."])
    player, files, figure = _made_take(tmp_path, 1)
    history, rows, shown, _takes = app.remember(
        [], uuid.uuid4().hex, "song", 10, "composer", "1", player, files, "p", figure
    )
    assert len(history) == 1 and rows[0][1] == "song" and shown == ""
    with pytest.raises(gr.Error, match="Make a track first"):
        app.rate_track(uuid.uuid4().hex, shown, "like")


def test_ratings_through_the_api_land_in_the_database(client, server):
    """An API caller names its library: both takes are kept there, /tracks lists them, /rate and
    /prefer write to the server's database; a wrong id or rating is a plain error."""
    from gradio_client.exceptions import AppError

    from mmgen.library import Library

    library = uuid.uuid4().hex
    client.predict(
        prompt="a folk tune for a hike",
        duration=6,
        seed="5",
        decoder="symbolic-lstm",
        variations=2,
        library=library,
        api_name="/generate",
    )
    tracks = client.predict(library, api_name="/tracks")
    assert sorted(t["seed"] for t in tracks) == [5, 6] and {t["engine"] for t in tracks} == {"symbolic-lstm"}
    first, second = (t["id"] for t in tracks)
    assert "Liked" in client.predict(library, first, "like", api_name="/rate")
    assert "noted" in client.predict(library, second, first, api_name="/prefer")
    stored = Library(server.data)
    assert [(r["kind"], r["track"], r["over_track"]) for r in stored.ratings(library)] == [
        ("like", first, None),
        ("prefer", second, first),
    ]
    kept = stored.get(library, second)
    assert kept.report["decoder_notes"]["lead_sheet"]["tokens"]  # what DPO trains on
    with pytest.raises(AppError, match="32 hexadecimal"):
        client.predict("not-an-id", api_name="/tracks")
    with pytest.raises(AppError, match="'like' or 'dislike'"):
        client.predict(library, first, "love", api_name="/rate")
    with pytest.raises(AppError, match="not in your library"):
        client.predict(uuid.uuid4().hex, first, "like", api_name="/rate")


def test_signed_in_users_have_one_library_on_every_browser():
    """With Sign in with Hugging Face the library follows the account: the same id whatever the
    browser held, another user's differs, and neither is the username itself."""
    import importlib

    import gradio as gr

    app = importlib.import_module("app")

    def profile(username):
        return gr.OAuthProfile({"name": username.title(), "preferred_username": username, "profile": "", "picture": ""})

    mine = app.open_library("", profile("alice"))[0]
    assert app.open_library(uuid.uuid4().hex, profile("alice"))[0] == mine  # another browser
    assert len(mine) == 32 and int(mine, 16) >= 0 and "alice" not in mine
    assert app.open_library("", profile("bob"))[0] != mine
    anonymous = uuid.uuid4().hex
    assert app.open_library(anonymous, None)[0] == anonymous


def test_several_takes_are_kept_apart_and_the_best_one_is_picked(tmp_path):
    """Takes of one Generate are each kept with their own files and seed; the A/B pick prefers
    the chosen take over each other one."""
    import importlib

    import gradio as gr

    app = importlib.import_module("app")
    browser = app.open_library("")[0]
    takes = [_made_take(tmp_path / "takes", i) for i in range(3)]
    files = [f for _, own, _ in takes for f in own]
    _history, rows, shown, take_ids = app.remember(
        [], browser, "song", 10, "composer", "0", takes[0][0], files, "plan", takes[0][2], takes[1][0], takes[2][0]
    )
    assert [row[4] for row in rows] == ["0", "1", "2"] and [row[0] for row in rows] == [3, 2, 1]
    assert shown == take_ids[0] and len(set(take_ids)) == 3
    store = app.library_store()
    assert [Path(f).name for f in store.get(browser, take_ids[1]).files] == ["song-1.wav", "song-1.mp3", "song-1.json"]
    row, radio = app._pick_controls(take_ids)
    assert row.visible and [c[1] for c in radio.choices] == [0, 1, 2]
    assert "Take 2 picked over takes 1, 3" in app.pick_take(browser, take_ids, 1)
    prefers = [(r["track"], r["over_track"]) for r in store.ratings(browser) if r["kind"] == "prefer"]
    assert prefers == [(take_ids[1], take_ids[0]), (take_ids[1], take_ids[2])]
    with pytest.raises(gr.Error, match="Choose the take"):
        app.pick_take(browser, take_ids, None)
    assert not app._pick_controls(take_ids[:1])[0].visible


def _run_handler(app, prompt="lofi beat", duration=6, decoder="composer"):
    """The generate handler run in this process (no server): its final outputs."""
    *_, outputs = app.make_track(
        prompt, duration, 0, "Auto", "Auto", "3", decoder, progress=lambda fraction, desc=None: None
    )
    return outputs


@pytest.mark.parametrize(
    "fault, message", [("nan", "invalid audio"), ("silence", "produced silence"), ("memory", "not enough memory")]
)
def test_generation_faults_are_reported_and_the_next_request_works(monkeypatch, fault, message):
    """NaN or silent audio from a codec, and running out of memory while decoding (injected:
    MemoryError on the CPU, torch's OutOfMemoryError on a GPU), come back as a plain message;
    nothing is returned as a track and the next request succeeds."""
    import importlib

    import gradio as gr
    import numpy as np
    import torch

    from mmgen import registry
    from mmgen.codecs.base import Waveform

    app = importlib.import_module("app")
    codec, decoder = registry.get("codec", "studio"), registry.get("decoder", "composer")
    if fault == "memory":

        def decode_many(*args, **kwargs):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

        monkeypatch.setattr(decoder, "decode_many", decode_many)
    else:
        value = np.nan if fault == "nan" else 0.0
        monkeypatch.setattr(codec, "decode", lambda tokens: Waveform(np.full((2, 44100 * 6), value, np.float32), 44100))
    with pytest.raises(gr.Error, match=f"(?i){message}"):
        _run_handler(app)
    monkeypatch.undo()
    outputs = _run_handler(app)
    assert sf.info(outputs[0]).duration == pytest.approx(6.0, abs=0.01)


def test_progress_says_how_long_is_left():
    import importlib

    app = importlib.import_module("app")
    seen, now = [], [0.0]
    report = app.with_estimate(lambda fraction, desc: seen.append(desc), clock=lambda: now[0])
    report(0.1, "Planning")  # too early to tell
    now[0] = 20.0
    report(0.25, "Composing")  # 20 s for a quarter: about a minute to go
    now[0] = 200.0
    report(0.5, "Composing")
    assert seen == ["Planning", "Composing (about 1 min left)", "Composing (about 3 min left)"]


def test_every_tab_has_examples_that_load():
    """The picture and video examples are real files the app's readers accept."""
    import json

    from mmgen.encoders.image import load_image
    from mmgen.encoders.video import probe_video

    root = Path(__file__).resolve().parents[1] / "assets"
    media = json.loads((root / "media_examples.json").read_text())
    assert len(media["image"]) >= 3 and len(media["video"]) >= 2
    for example in media["image"]:
        assert load_image(str(root / example["file"])).ndim == 3  # decodes as a picture
    for example in media["video"]:
        assert probe_video(str(root / example["file"])).duration_s >= 5


# The studio in other languages: labels are gr.I18n keys, their wording in assets/i18n/studio.toml.
MARK = "__i18n__"


def _keys_in_app_source() -> set[str]:
    """The i18n("...") keys app.py names literally (f-string keys are checked on the built app)."""
    import ast

    source = (Path(__file__).resolve().parents[1] / "app.py").read_text(encoding="utf-8")
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "i18n"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def _keys_in(value) -> list[str]:
    """The i18n keys a config value carries: I18nData, their dict form, or strings with markers."""
    import json

    from gradio.i18n import I18nData

    if isinstance(value, I18nData):
        return [value.key]
    if isinstance(value, dict):
        if value.get("__type__") == "translation_metadata":
            return [value["key"]]
        return [k for v in value.values() for k in _keys_in(v)]
    if isinstance(value, (list, tuple)):
        return [k for v in value for k in _keys_in(v)]
    if isinstance(value, str) and MARK in value:
        return [json.loads(part[: part.index("}") + 1])["key"] for part in value.split(MARK)[1:]]
    return []


@pytest.fixture(scope="module")
def studio():
    import importlib

    return importlib.import_module("app").build_app()


def test_every_label_has_english_and_chinese_text(studio):
    """Each key the studio uses (named in app.py, or built from data: engines, keys, sound
    options) has English and Chinese wording; the other locales only use keys English has, and
    keep its placeholders."""
    import importlib

    text = importlib.import_module("app").TEXT
    used = _keys_in_app_source() | set(_keys_in([c["props"] for c in studio.config["components"]]))
    assert len(used) >= 70 and {"generate", "prompt_label", "key_minor", "video_audio_duck"} <= used
    for locale in ("en", "zh"):
        assert sorted(used - set(text[locale])) == [], f"keys without {locale} text"
        assert all(text[locale][key].strip() for key in used)
    assert set(text) >= {"en", "zh", "es", "ja", "ko", "pt", "fr", "de", "hi"}
    for locale, table in text.items():
        assert sorted(set(table) - set(text["en"])) == [], f"{locale} has keys English lacks"
        assert all(("{" in table[k]) == ("{" in text["en"][k]) for k in table), f"{locale} lost a placeholder"
    assert text["zh"]["duration_label"] == "时长（秒）" and text["zh"]["generate"] == "生成"
    assert text["zh"]["engine_cpu_cost"].count("1.5") == 1  # the measured CPU cost, filled in


def test_the_built_studio_translates_what_the_browser_can(studio):
    """Gradio's frontend fills in one key per string, in labels, info, placeholders, buttons,
    Markdown and choices, but not in table headers or example captions: none carries a key there,
    none carries two, and no visible label is left as plain English."""
    import importlib

    untranslated = []
    for component in studio.config["components"]:
        props = component["props"]
        for name, value in props.items():
            values = value if name == "choices" else [value]
            for entry in values:
                for part in entry if isinstance(entry, (list, tuple)) else [entry]:
                    assert not (isinstance(part, str) and part.count(MARK) > 1), (name, part)
        for name in ("headers", "sample_labels"):
            assert _keys_in(props.get(name)) == [], f"{component['type']} {name} would show i18n keys"
        shown = props.get("visible") is not False and component["type"] != "api"  # gr.api's are never shown
        if shown and isinstance(props.get("label"), str) and MARK not in props["label"]:
            untranslated.append((component["type"], props["label"]))
    assert untranslated == []
    app = importlib.import_module("app")
    by_label = {key: c["props"] for c in studio.config["components"] for key in _keys_in(c["props"].get("label"))}
    assert [value for _label, value in by_label["key_label"]["choices"]] == app.KEY_CHOICES  # the API's values


def test_the_served_studio_carries_its_translations(server, client):
    """`python app.py` launches with the translations: the page's config holds every locale's
    table, and the API still names its parameters in plain English."""
    import importlib
    import json
    from urllib.request import urlopen

    with urlopen(f"{server}config", timeout=30) as response:
        config = json.load(response)
    assert config["i18n_translations"] == importlib.import_module("app").TEXT
    endpoint = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/generate"]
    labels = [p["label"] for p in endpoint["parameters"] + endpoint["returns"]]
    assert labels[:2] == ["Describe the music", "Length (seconds)"] and "Take 2" in labels
    assert all(isinstance(label, str) and MARK not in label for label in labels)


def test_a_chinese_browser_sees_the_studio_in_chinese(server):
    """Chromium with the locale zh-CN: tabs, labels and buttons in Chinese, no key left showing.
    A screenshot lands in test-artifacts/screenshots/studio-zh.png."""
    import importlib
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"  # as in test_browser.py
    if not Path(chromium).exists():
        pytest.skip("needs Debian's chromium (apt-get install chromium; .ci/run does)")
    shots = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
    zh = importlib.import_module("app").TEXT["zh"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000}).new_page()
            page.goto(server)
            page.get_by_role("button", name=zh["generate"], exact=True).wait_for(timeout=30_000)
            for tab in ("tab_text", "tab_image", "tab_lyrics", "tab_video"):
                assert page.get_by_role("tab", name=zh[tab], exact=True).is_visible()
            assert page.get_by_label(zh["prompt_label"]).is_visible()
            page.get_by_text(zh["fine_tune"], exact=True).click()
            assert page.get_by_role("combobox", name=zh["key_label"], exact=True).input_value() == zh["auto"]
            assert page.get_by_text(zh["duration_label"]).first.is_visible()
            assert MARK not in page.locator("body").inner_text()
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=shots / "studio-zh.png", full_page=True)
        finally:
            browser.close()


def test_live_music_streams_bar_after_bar_through_the_api(client):
    """The Live tab's API: bars of audio arrive one after another and say what they play."""
    job = client.submit("lofi beat for studying", 0.4, 0, "A minor", "composer", api_name="/live")
    statuses = []
    for _audio, status in job:
        statuses.append(status)
        if len(statuses) == 3:
            break
    job.cancel()
    assert statuses[0].startswith("Bar 1 ·") and "A minor" in statuses[0] and statuses[2].startswith("Bar 3 ·")


def test_live_music_makes_each_bar_just_before_it_is_due():
    """Each bar is begun the session's lead (HANDOVER_MARGIN_S plus its slowest recent bar) before
    it is due, so a control change made until then is in it (a clock the test drives)."""
    import importlib

    from mmgen.live.session import HANDOVER_MARGIN_S

    app = importlib.import_module("app")
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    bars = app.live_play("chiptune", 0.6, 120, "C major", "composer", clock=lambda: now[0], sleep=sleep)
    begun = []
    for _ in range(5):
        next(bars)
        begun.append(now[0])  # the test's clock stands still while a bar is made
    bars.close()
    # 2 s bars at 120 BPM, the first one playing from 0: bar k is due at 2k
    for k, at in enumerate(begun[1:], start=1):
        assert 2.0 * k - HANDOVER_MARGIN_S - 3.0 < at <= 2.0 * k - HANDOVER_MARGIN_S + 1e-9


def test_wrong_live_controls_are_refused_in_plain_words():
    import importlib

    import gradio as gr

    app = importlib.import_module("app")
    with pytest.raises(gr.Error, match="energy must be from 0"):
        next(app.live_play("chiptune", 4.0, 0, "Auto", "composer"))
    with pytest.raises(gr.Error, match="score engine"):
        next(app.live_play("chiptune", 0.5, 0, "Auto", "musicgen"))
