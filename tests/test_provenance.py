"""Every file a track is saved as says how it was made (AI-generated, mmgen's version, engine,
seed, licence), read back by an independent reader: ffmpeg's metadata dump, a RIFF reader of the
tests' own (media.py) and mido for MIDI, never mutagen, which writes them. No user text reaches
a tag; each engine has a licence of use, in the registry and in the report."""

from __future__ import annotations

import json
import struct
import subprocess
from dataclasses import replace

import mido
import pytest
import soundfile as sf
from media import make_video, riff_chunks

from mmgen import available_decoders, registry
from mmgen.encoders.video import probe_video
from mmgen.errors import GenerationFailed, InvalidRequest
from mmgen.ffmpeg import ffmpeg_exe
from mmgen.pipeline import generate
from mmgen.post import provenance
from mmgen.post.provenance import clean, provenance_fields, tag_file
from mmgen.request import GenerationRequest
from mmgen.version import __version__

HOSTILE = "\"; DROP TABLE tracks; --\n\r\t<script>alert(1)</script> 'quoted' \u202etxt.exe"


def ffmetadata(path, stream: bool = False) -> dict[str, str]:
    """The file's tags as ffmpeg reads them (an Ogg file's are its audio stream's), keys lower-cased."""
    args = [ffmpeg_exe(), "-v", "error", "-i", str(path)] + (["-map_metadata", "0:s:a:0"] if stream else [])
    out = subprocess.run([*args, "-fflags", "+bitexact", "-f", "ffmetadata", "-"], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    lines = out.stdout.decode("utf-8").splitlines()[1:]  # after ";FFMETADATA1"
    return {key.lower(): value for key, _, value in (line.partition("=") for line in lines if "=" in line)}


def software_tags(path) -> list[str]:
    """The encoder tags ffmpeg lists for the file and its streams (its ffmetadata writer would put
    its own in their place)."""
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, timeout=60)
    lines = [line.split(":", 1) for line in out.stderr.decode("utf-8", "replace").splitlines() if ":" in line]
    return [value.strip() for key, value in lines if key.strip().lower() == "encoder"]


def decodes(path) -> None:
    """ffmpeg decodes every frame of the file without an error."""
    out = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"], capture_output=True, timeout=120
    )
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def loop():
    """A short seamless loop of the composer's: a loop's WAV and Ogg files carry its loop points too."""
    return generate(GenerationRequest(prompt=HOSTILE, duration_s=6.0, seed=11, loop=True))


def expected(seed: int) -> dict[str, str]:
    return {
        "comment": f"AI-generated music, made with mmgen {__version__} (composer, seed {seed}). "
        "Licence LicenseRef-mmgen-own: yours to use, commercially too.",
        "mmgen_engine": "composer",
        "mmgen_seed": str(seed),
        "license": "LicenseRef-mmgen-own: yours to use, commercially too",
        "commercial_use": "yes",
        "ai_generated": "yes",
    }


def test_every_audio_format_says_how_it_was_made(loop, tmp_path):
    n = loop.audio.samples.shape[-1]
    files = {suffix: loop.save(tmp_path / f"loop{suffix}") for suffix in (".wav", ".mp3", ".flac", ".ogg")}
    want = expected(11)
    for suffix, path in files.items():
        tags = ffmetadata(path, stream=suffix == ".ogg")
        if suffix == ".wav":  # RIFF INFO holds a comment, a copyright and keywords, no freeform keys
            assert tags["comment"] == want["comment"] and tags["ikey"] == "AI-generated"
            assert tags["copyright"] == f"Licence {want['license']}"
        else:
            assert {key: tags.get(key) for key in want} == want, suffix
        assert f"mmgen {__version__}" in software_tags(path), suffix
        assert not any(word in value for value in tags.values() for word in ("DROP", "<script>", "quoted")), suffix
        decodes(path)
        assert abs(sf.info(path).frames - n) <= (2304 if suffix == ".mp3" else 0)  # MP3 frames pad a little
    chunks = riff_chunks(files[".wav"])  # the loop's smpl chunk is still there, and still right
    assert struct.unpack("<6I", chunks[b"smpl"][36:60])[2:4] == (0, n - 1)
    assert chunks[b"LIST"][:4] == b"INFO"
    ogg = ffmetadata(files[".ogg"], stream=True)
    assert (ogg["loopstart"], ogg["looplength"]) == ("0", str(n))


def test_the_report_and_stems_carry_the_same_fields(loop, tmp_path):
    report = json.loads(loop.save_report(tmp_path / "loop.json").read_text(encoding="utf-8"))
    fields = report["provenance"]
    assert fields == provenance_fields(loop) == provenance_fields(report)
    assert fields["licence"] == "LicenseRef-mmgen-own: yours to use, commercially too"
    assert report["licence"].startswith("Yours to use, commercially too")
    assert HOSTILE not in json.dumps(fields) and "DROP" not in json.dumps(fields)
    stems = loop.save_stems(tmp_path / "stems")
    wav = next(f for f in stems if f.suffix == ".wav")
    assert ffmetadata(wav)["comment"] == fields["comment"]
    assert b"smpl" in riff_chunks(wav)  # a loop's stems keep its loop points beside the tags
    midi = mido.MidiFile(next(f for f in stems if f.suffix == ".mid"))
    meta = {m.type: m.text for m in midi.tracks[0] if m.type in ("copyright", "text")}
    assert meta == {"copyright": f"Licence {fields['licence']}", "text": fields["comment"]}
    score = mido.MidiFile(loop.save(tmp_path / "loop.mid"))
    assert any(m.type == "text" and m.text == fields["comment"] for m in score.tracks[0])


def test_the_video_says_how_its_music_was_made(loop, tmp_path):
    video = probe_video(make_video(tmp_path / "clip.mp4", [3.0, 3.0]))
    scored = replace(loop, video=video, video_audio="music").save(tmp_path / "scored.mp4")
    tags = ffmetadata(scored)
    want = expected(11)
    assert tags["comment"] == want["comment"] and tags["copyright"] == f"Licence {want['license']}"
    assert {key: tags.get(key) for key in ("mmgen_engine", "mmgen_seed", "license", "ai_generated")} == {
        key: want[key] for key in ("mmgen_engine", "mmgen_seed", "license", "ai_generated")
    }
    assert f"mmgen {__version__}" in software_tags(scored)
    decodes(scored)
    assert probe_video(scored).duration_s == pytest.approx(video.duration_s, abs=0.05)


def test_control_characters_are_refused_or_stripped(tmp_path):
    """A description with NUL and bell is refused before anything is written; a value that holds
    them (none does: tags are built from trusted values) is written cleaned, and the files decode."""
    with pytest.raises(InvalidRequest, match="control character"):
        generate(GenerationRequest(prompt='"; DROP\x00\x07\n\r\t<script>', duration_s=5.0))
    assert clean("a\x00b\x07c\n\rd\te\u202ef" + "x" * 999) == "a b c d e f" + "x" * (provenance.MAX_CHARS - 11)
    fields = {**provenance_fields({"decoder": "composer", "seed": 3}), "comment": 'evil\x00"\n\r\t<x>\x1b[31m'}
    sf.write(tmp_path / "plain.flac", [[0.0, 0.0]] * 4410, 44100)
    sf.write(tmp_path / "plain.wav", [[0.0, 0.0]] * 4410, 44100)
    for name in ("plain.flac", "plain.wav"):
        tag_file(tmp_path / name, fields)
        assert ffmetadata(tmp_path / name)["comment"] == 'evil " <x> [31m'
        decodes(tmp_path / name)
        assert sf.info(tmp_path / name).frames == 4410


def test_a_file_that_cannot_be_tagged_is_not_saved(loop, tmp_path, monkeypatch):
    (tmp_path / "not-audio.mp4").write_text("not a video")
    with pytest.raises(GenerationFailed, match="could not be tagged"):
        tag_file(tmp_path / "not-audio.mp4", provenance_fields(loop))

    def broken(path, fields):
        raise OSError("disk full")

    monkeypatch.setattr(provenance, "_tag_mp3", broken)
    with pytest.raises(GenerationFailed, match=r"could not be tagged.*disk full"):
        loop.save(tmp_path / "loop.mp3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-audio.mp4"]  # no half-written file


def test_every_engine_has_a_licence_of_use():
    rows = {row["name"]: row for row in available_decoders()}
    assert all(
        row["licence"] and row["licence_id"] and row["commercial"] in ("yes", "no", "limited") for row in rows.values()
    )
    assert rows["musicgen"]["licence_id"] == "CC-BY-NC-4.0" and rows["musicgen"]["commercial"] == "no"
    assert "non-commercial" in rows["musicgen"]["licence"]
    assert rows["composer"]["commercial"] == rows["symbolic-transformer"]["commercial"] == "yes"
    assert "public-domain" in rows["symbolic-transformer"]["licence"]
    assert rows["stable-audio-3"]["commercial"] == "limited" and rows["ace-step"]["licence_id"] == "MIT"
    assert all(entry.licence is not None for entry in registry.entries("singer"))


def test_a_musicgen_report_says_non_commercial():
    """From the registry's record: no weights are needed to know what MusicGen's tracks may be used for."""
    fields = provenance_fields({"decoder": "musicgen", "seed": 5, "request": {"weights": "mine"}})
    assert fields["licence"] == "CC-BY-NC-4.0: non-commercial use only" and fields["commercial_use"] == "no"
    assert fields["engine"] == "musicgen (your own weights)" and "inherit" in fields["weights"]
    assert "mine" not in json.dumps(fields)  # the name of the user's weights is theirs, not a tag
    mixed = provenance_fields({"decoder": "composer", "seed": 1, "request": {"restyle": "stable-audio-3"}})
    assert mixed["commercial_use"] == "limited" and mixed["engine"] == "composer, restyled by stable-audio-3"
    upload = provenance_fields({"decoder": "upload", "seed": 0, "edits": [{"engine": "ace-step"}]})
    assert upload["ai_generated"] == "partly" and "seed" not in upload and upload["licence"].startswith("MIT")
    forged = provenance_fields({"decoder": "<script>", "seed": "1; rm -rf", "request": {"vocals": HOSTILE}})
    assert forged["ai_generated"] == "no" and "script" not in json.dumps(forged) and "seed" not in forged
