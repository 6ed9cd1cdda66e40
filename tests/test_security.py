"""The public-Space surface of the app, probed with raw HTTP on loopback: the file route, crafted
file payloads, upload limits, and files that are not what their names say."""

import json

import httpx
import pytest

ARGS = [
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
    "auto",
    "",
    "none",
    "",
    "produced",
    "none",
    0.6,
    "encodec",
    False,
    "shipped",
    "",
    "",
]  # the generate API's inputs, in order (weights, library and the taste's library last); media at 12-14
CLIP, IMAGE, VIDEO = 12, 13, 14


def call(server: str, args: list) -> tuple[str, str]:
    """POST the generate API with raw JSON; return (final event, its data)."""
    with httpx.Client(base_url=server, timeout=120) as client:
        body = json.dumps({"data": args})  # ASCII-escaped, so even a lone surrogate travels as JSON does
        started = client.post("gradio_api/call/generate", content=body, headers={"Content-Type": "application/json"})
        if started.status_code != 200:
            return "refused", started.text
        event_id = started.json()["event_id"]
        event, data = "", ""
        with client.stream("GET", f"gradio_api/call/generate/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    data = line.split(":", 1)[1].strip()
                    if event in ("complete", "error"):
                        break
        return event, data


def upload(server: str, name: str, content: bytes) -> str:
    """Upload a file through Gradio's upload route; its server path."""
    response = httpx.post(f"{server}gradio_api/upload", files={"files": (name, content)}, timeout=60)
    response.raise_for_status()
    return response.json()[0]


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "app.py",
        "../app.py",
        "../../etc/passwd",
        ".env",
        "/ETC/PASSWD",
        "/proc/self/environ",
        "%2e%2e/%2e%2e/etc/passwd",
        "requirements.txt",
        "/tmp/mmgen-studio",
    ],
)
def test_the_file_route_serves_nothing_of_the_server(server, path):
    response = httpx.get(f"{server}gradio_api/file={path}")
    assert response.status_code in (403, 404)
    assert "root:" not in response.text and "import gradio" not in response.text


@pytest.mark.parametrize("slot", [CLIP, IMAGE, VIDEO])
def test_a_payload_naming_a_server_file_is_refused(server, slot):
    args = list(ARGS)
    args[slot] = {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}
    args[17] = {CLIP: "text", IMAGE: "image", VIDEO: "video"}[slot]
    event, data = call(server, args)
    assert event in ("error", "refused")
    assert "root:" not in data


def test_uploads_over_the_limit_get_413(server):
    response = httpx.post(
        f"{server}gradio_api/upload", files={"files": ("big.mp4", b"\0" * (9 * 1024 * 1024))}, timeout=60
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "name, slot, source",
    [
        ("evil.png", IMAGE, "image"),
        ("evil.mp4", VIDEO, "video"),
        ("evil.svg.png", IMAGE, "image"),
        ("evil.wav", CLIP, "text"),
    ],
)
def test_markup_renamed_as_media_is_refused(server, name, slot, source):
    """Gradio's own component or mmgen's validation refuses it; nothing is generated from it."""
    markup = (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
        if "svg" in name
        else b"<html><body><script>alert(1)</script></body></html>"
    )
    path = upload(server, name, markup)
    args = list(ARGS)
    args[slot] = {"path": path, "meta": {"_type": "gradio.FileData"}}
    args[17] = source
    if slot == CLIP:
        args[6] = "musicgen"  # clips go to a MusicGen engine (a tiny one is on the test server)
    event, data = call(server, args)
    assert event == "error" and "mmgen-" not in data


@pytest.mark.parametrize(
    "prompt, outcome",
    [
        ("x" * 1_000_000, "under 2,000"),
        ("lofi\x00beat\x1b[31m", "control character"),
        ("broken \ud800 surrogate", "unpaired surrogate"),
        ("موسيقى هادئة 安静的钢琴 🎹🌙 calm piano", "complete"),
    ],
)
def test_any_text_is_handled_or_refused_plainly(server, prompt, outcome):
    args = list(ARGS)
    args[0], args[17] = prompt, "text"
    event, data = call(server, args)
    if outcome == "complete":
        assert event == "complete"
        files = json.loads(data)[4]  # the downloads: names made from the style and the seed only
        assert all(f["path"].rsplit("/", 1)[-1].isascii() for f in files)
    else:
        assert event == "error" and outcome in data
