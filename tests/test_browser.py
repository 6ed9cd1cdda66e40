"""The studio as a person uses it: Debian's headless Chromium, driven by Playwright, against
`python app.py` on loopback. Every tab makes a track, each kind of upload works, a mistake shows
its message, Cancel stops the work. Screenshots land in test-artifacts/screenshots/."""

import os
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SONG = "[Verse]\nI walked along the river late at night\n\n[Chorus]\nTonight we are on fire"

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium; .ci/run does)"
)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab = browser.new_page(viewport={"width": 1280, "height": 1000})
    tab.goto(server)
    tab.get_by_role("button", name="Generate").wait_for(timeout=30_000)
    yield tab
    tab.close()


def choose_tab(page, name: str):
    page.get_by_role("tab", name=name).click()
    panel = page.get_by_role("tabpanel").filter(has=page.locator(":visible")).first
    return panel


def upload(page, label: str, path) -> None:
    """Drop a file on the upload box whose label starts with `label`."""
    box = page.locator(".block", has_text=label).filter(has=page.locator("input[type=file]")).last
    box.locator("input[type=file]").set_input_files(str(path))
    page.wait_for_timeout(1500)


def generate_and_wait(page, text: str = "made in", timeout_s: float = 120):
    page.get_by_role("button", name="Generate").click()
    page.get_by_text(text).first.wait_for(timeout=timeout_s * 1000)


def player_file(page, suffix: str = ".wav") -> bytes:
    """The file the first player (or download link) with `suffix` serves, fetched as the page would."""
    links = page.evaluate("() => [...document.querySelectorAll('a[href*=\"/file=\"]')].map(a => a.href)")
    href = next(link for link in links if link.endswith(suffix))
    response = page.request.get(href)
    assert response.ok
    return response.body()


def test_text_tab_makes_a_track(page):
    page.get_by_label("Describe the music").fill("calm piano for a study vlog")
    generate_and_wait(page)
    assert page.get_by_text("Style:").first.is_visible()
    assert player_file(page)[:4] == b"RIFF"  # the track the player shows is served
    page.wait_for_function(
        "() => [...document.querySelectorAll('img')].some(i => i.src.includes('-plan.png') && i.naturalWidth > 0)",
        timeout=30_000,
    )  # the plan over time is drawn
    page.screenshot(path=SHOTS / "text.png", full_page=True)


def test_a_liked_track_is_kept_across_a_reload(page):
    """Like the track made, reload the page: it is still in *Your tracks* (the browser's library
    id is in its localStorage, the track in the server's database), and picking it plays it."""
    page.get_by_label("Describe the music").fill("gentle harp for a bedtime story")
    generate_and_wait(page)
    page.get_by_role("button", name="👍 Like").click()
    page.get_by_text("Liked: noted in your library").wait_for(timeout=15_000)
    page.reload()
    page.get_by_role("button", name="Generate").wait_for(timeout=30_000)
    page.get_by_text("Your tracks").first.click()
    row = page.locator("text=gentle harp for a bedtime story >> visible=true").first
    row.wait_for(timeout=15_000)
    row.click()
    page.wait_for_function(
        "() => document.querySelector('textarea') && document.querySelector('textarea').value.includes('gentle harp')",
        timeout=15_000,
    )  # its settings are back
    assert player_file(page)[:4] == b"RIFF"  # and its audio, served again
    page.screenshot(path=SHOTS / "library.png", full_page=True)


def _ratings(server) -> list[tuple]:
    """The ratings table of the server's own library database, oldest first (read-only; none
    before the server has opened its library)."""
    import sqlite3

    path = server.data / "library.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT kind, track, over_track FROM ratings ORDER BY id").fetchall()


def test_likes_dislikes_and_the_best_take_land_in_the_database(page, server):
    """Two takes made at once: Dislike, then Like, the take shown, then pick take 2 under *Which
    take is best?*: each lands in the server's database as the person pressed it."""
    before = len(_ratings(server))
    page.get_by_text("Fine-tune (optional)").click()
    takes = page.get_by_role("spinbutton", name="number input for Takes")
    for _ in range(10):  # the page's load events may still reset the controls: set it until it stays
        takes.fill("2")
        takes.press("Tab")
        page.wait_for_timeout(1000)
        if takes.input_value() == "2":
            break
    page.get_by_label("Describe the music").fill("a jazz trio for a cafe")
    generate_and_wait(page, "2 takes, seeds")
    page.get_by_text("Which take is best?").wait_for(timeout=60_000)  # both takes kept first
    page.get_by_role("button", name="👎 Dislike").click()
    page.get_by_text("Disliked: noted in your library").wait_for(timeout=30_000)
    page.get_by_role("button", name="👍 Like").click()
    page.get_by_text("Liked: noted in your library").wait_for(timeout=30_000)
    page.get_by_role("radio", name="2").check()
    page.get_by_role("button", name="🏆 This take is best").click()
    page.get_by_text("Take 2 picked over take 1").wait_for(timeout=15_000)
    page.screenshot(path=SHOTS / "rating.png", full_page=True)
    (disliked, shown, _), (liked, again, _), (prefer, better, worse) = _ratings(server)[before:]
    assert (disliked, liked, prefer) == ("dislike", "like", "prefer") and shown == again
    assert better != worse and shown in (better, worse)  # the take shown is one of the two picked between


def test_image_tab_reads_a_picture(page, tmp_path):
    from media import make_image

    picture = make_image(tmp_path / "sunset.png", (250, 150, 60), pattern=True)
    choose_tab(page, "Image")
    upload(page, "Your picture", picture)
    generate_and_wait(page, "What it read")
    assert page.get_by_text("the picture").first.is_visible()
    page.screenshot(path=SHOTS / "image.png", full_page=True)


def test_lyrics_tab_sets_a_song(page):
    choose_tab(page, "Lyrics")
    page.get_by_label("Your lyrics").fill(SONG)
    generate_and_wait(page, "Song form")
    page.screenshot(path=SHOTS / "lyrics.png", full_page=True)


def test_video_tab_returns_the_scored_video(page, tmp_path):
    from media import make_video

    edit = make_video(tmp_path / "edit.mp4", [2.4, 3.2, 2.4])
    choose_tab(page, "Video")
    upload(page, "Your video", edit)
    generate_and_wait(page, "cuts on a beat")
    assert player_file(page, ".mp4")[4:8] == b"ftyp"  # the scored video is served
    page.screenshot(path=SHOTS / "video.png", full_page=True)


def test_an_audio_clip_upload_is_continued(page, tmp_path):
    import numpy as np
    import soundfile as sf

    clip = tmp_path / "clip.wav"
    t = np.arange(2 * 32000) / 32000
    sf.write(clip, (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 32000)
    page.get_by_text("Fine-tune (optional)").click()
    engine = page.get_by_role("combobox", name="Engine")
    engine.click()
    page.get_by_role("option", name="musicgen —").first.click()
    page.get_by_text("Advanced: sampling (neural and learned engines)").click()
    upload(page, "Your clip", clip)
    page.get_by_label("Length (seconds)").first.fill("5")
    generate_and_wait(page)
    page.screenshot(path=SHOTS / "musicgen-continuation.png", full_page=True)


def test_a_mistake_shows_its_message(page):
    choose_tab(page, "Video")
    page.get_by_role("button", name="Generate").click()
    page.get_by_text("Add a video first").first.wait_for(timeout=30_000)
    page.screenshot(path=SHOTS / "error-toast.png")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_cancel_stops_the_work(page, server):
    page.get_by_label("Length (seconds)").first.fill("600")  # a ten-minute piece: tens of seconds of work
    page.get_by_role("button", name="Generate").click()
    time.sleep(2.0)
    page.get_by_role("button", name="Cancel").click()
    cancelled = time.monotonic()
    # The server goes quiet within one step (rendering ten minutes is the longest, about 10 s here).
    while True:
        before = _cpu_s(server.pid)
        time.sleep(2.0)
        if _cpu_s(server.pid) - before < 0.4:
            break
        assert time.monotonic() - cancelled < 45, "the server kept working after Cancel"
    assert not page.get_by_text("made in").first.is_visible()
    page.get_by_label("Length (seconds)").first.fill("6")  # and the next request runs as usual
    generate_and_wait(page)


def test_live_tab_plays_until_stopped(page):
    """The Live tab hides the track controls, streams bar after bar into its player once Start is
    pressed, and Stop ends the stream."""
    choose_tab(page, "Live")
    page.get_by_role("button", name="Generate").wait_for(state="hidden", timeout=10_000)
    assert not page.get_by_label("Describe the music").is_visible()  # nor the track's prompt and results
    page.get_by_role("button", name="Start").click()
    page.get_by_text("Bar 3 ·").wait_for(timeout=60_000)  # a bar at a time, the status following
    assert "BPM" in page.get_by_text("Bar 3 ·").inner_text()
    page.screenshot(path=SHOTS / "live.png", full_page=True)
    page.get_by_role("button", name="Stop").click()
    page.wait_for_timeout(1000)
    status = page.get_by_text("Bar ").last.inner_text()
    page.wait_for_timeout(6000)  # longer than a bar: nothing more arrives
    assert page.get_by_text("Bar ").last.inner_text() == status
    choose_tab(page, "Text")
    page.get_by_role("button", name="Generate").wait_for(state="visible", timeout=10_000)


UNNAMED = ("textbox", "combobox", "slider", "spinbutton", "button", "checkbox", "radio", "tab")


def test_every_control_has_an_accessible_name(page):
    """Screen readers get a name for every control of every tab (Chromium's accessibility tree,
    as Playwright's ARIA snapshot shows it)."""
    missing = []
    for tab in ("Text", "Image", "Lyrics", "Video"):
        choose_tab(page, tab)
        for accordion in ("Fine-tune (optional)", "Advanced: sampling (neural and learned engines)"):
            toggle = page.get_by_role("button", name=accordion)
            if toggle.get_attribute("aria-expanded") != "true":
                toggle.click()
        snapshot = page.locator("body").aria_snapshot()
        for line in snapshot.splitlines():
            entry = line.strip().lstrip("- ").rstrip(":")
            role = entry.split(" ")[0]
            if (role in UNNAMED and entry in (role, f"{role} [disabled]")) or entry.startswith(
                tuple(f'{r} ""' for r in UNNAMED)
            ):
                missing.append(f"{tab}: {line.strip()}")
    assert not missing, "\n".join(sorted(set(missing)))


def test_the_studio_fits_a_phone(browser, server):
    """At a phone's width (390 px) nothing runs off the side, and a track can be made."""
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone.goto(server)
        phone.get_by_role("button", name="Generate").wait_for(timeout=30_000)
        overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1
        phone.get_by_label("Describe the music").fill("happy ukulele")
        generate_and_wait(phone)
        phone.screenshot(path=SHOTS / "phone.png", full_page=True)
    finally:
        phone.close()
