"""Provenance: every file a track is saved as says it is AI-generated, that mmgen (and which version)
made it, with which engine and seed, and under what licence its music may be used.

The fields are built only from trusted values: mmgen's version, engine names found in the
registry, the integer seed and the licence records written in code (mmgen/components.py). What a
user typed (the description, lyrics, a weights folder's name) never goes into a tag; every value
is cleaned anyway (no control or format characters, one line, capped) before it is written.

Where each format keeps them:

- WAV: a RIFF `LIST`/`INFO` chunk: ISFT (software), ICMT (the comment), ICOP (the licence),
  IKEY ("AI-generated"). It is appended before a loop's `smpl` and `cue ` chunks (post/riff.py).
- MP3: ID3v2.3 frames: TSSE (software), COMM (the comment), TXXX for the others.
- FLAC and Ogg Vorbis: Vorbis comments (ENCODER, COMMENT, LICENSE, ...), beside a loop's
  LOOPSTART and LOOPLENGTH.
- MP4: the ©too, ©cmt and cprt atoms, and freeform `----:com.apple.iTunes:` atoms for the others.
- MIDI: a copyright meta event (the licence) and a text meta event (the comment) in the first track.

Tags are written into the temporary file before it is renamed into place (post/export.py), so a
tagging failure leaves no file under the final name; it is reported as a plain GenerationFailed.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from ..errors import GenerationFailed
from ..registry import COMMERCIAL, Licence
from ..version import __version__

SOFTWARE = f"mmgen {__version__}"
MAX_CHARS = 400  # a tag's value at most: the comment is the longest, well under it
# field -> the freeform key of formats that have them (Vorbis comments, ID3 TXXX, MP4 "----" atoms)
FREEFORM = {
    "engine": "MMGEN_ENGINE",
    "seed": "MMGEN_SEED",
    "weights": "MMGEN_WEIGHTS",
    "licence": "LICENSE",
    "commercial_use": "COMMERCIAL_USE",
    "ai_generated": "AI_GENERATED",
}
OWN_WEIGHTS = "your own, fine-tuned from the engine's: they inherit its licence"


def clean(value, limit: int = MAX_CHARS) -> str:
    """`value` as one line of printable text: control, format and separator characters (NUL, bell,
    newlines, bidi marks) become spaces, runs of spaces one, at most `limit` characters."""
    text = "".join(ch if ch == " " or unicodedata.category(ch)[0] not in "CZ" else " " for ch in str(value))
    return " ".join(text.split())[:limit].rstrip()


def provenance_fields(source) -> dict[str, str]:
    """How a track was made, as tag values: software, engine, seed, licence, commercial_use ("yes",
    "no" or "limited"), ai_generated ("yes"; "partly" or "no" for a recording brought to be
    edited), comment (the one-line disclosure), and weights where they are the user's own.
    `source`: a Track, or a report dict (Track.report()); only engine names the registry knows
    and an integer seed are read from it."""
    own, used, request, seed = _made_of(source)
    found = licences(source)
    named = list(dict.fromkeys(f"{how} {name}" for how, name, _ in used))  # each engine once, however often
    fields = {"software": SOFTWARE}
    if own is not None:
        engine = ", ".join([own[0] + (" (your own weights)" if _own_weights(request) else ""), *named])
        fields["engine"] = engine
        if isinstance(seed, int) and not isinstance(seed, bool):
            fields["seed"] = str(seed)
            engine += f", seed {seed}"
        fields["ai_generated"] = "yes"
        if _own_weights(request):
            fields["weights"] = OWN_WEIGHTS
    else:  # a recording the user brought: only its edits were generated
        engine = fields["engine"] = ", ".join(["your recording", *named])
        fields["ai_generated"] = "partly" if used else "no"
    licence = fields["licence"] = "; ".join(each.line() for each in found) or "the recording's own"
    fields["commercial_use"] = _most_restricted([each.commercial for each in found])
    fields["comment"] = {
        "yes": f"AI-generated music, made with {SOFTWARE} ({engine}). Licence {licence}.",
        "partly": f"Partly AI-generated: a recording edited with {SOFTWARE} ({engine}). Licence of the edits "
        f"{licence}; the recording keeps its own.",
        "no": f"Processed with {SOFTWARE}; not AI-generated (a recording of your own).",
    }[fields["ai_generated"]]
    return {key: clean(value) for key, value in fields.items()}


def licences(source) -> list[Licence]:
    """The licences of every engine that made, re-made, sang or edited the track (`source` as for
    provenance_fields), each once."""
    own, used, _, _ = _made_of(source)
    return list(dict.fromkeys(([own[1]] if own else []) + [licence for _, _, licence in used]))


def licence_line(source) -> str:
    """What the track may be used for, in plain sentences for people (the CLI prints it, the studio
    ends its result with it): each engine's licence, and what becomes of the user's own weights or
    recording."""
    own, _, request, _ = _made_of(source)
    line = " ".join(licence.text for licence in licences(source))
    if own is None:
        line = f"{line} The recording itself keeps its own licence.".strip()
    elif _own_weights(request):
        line += " Your own weights (--weights) inherit the engine's licence."
    return line


def _made_of(source) -> tuple:
    """(the engine that made it as (name, Licence), None for a recording the user brought; the
    [(how, name, Licence)] that re-made, sang or edited it; its request as a dict; its seed)."""
    if isinstance(source, dict):
        request = source.get("request") if isinstance(source.get("request"), dict) else {}
        decoder, seed, edits = source.get("decoder"), source.get("seed"), source.get("edits")
    else:
        request = source.request.to_dict()
        decoder, seed, edits = source.decoder, source.request.seed, source.details.get("edits")
    engines = [("restyled by", "decoder", request.get("restyle")), ("vocals by", "singer", request.get("vocals"))]
    for edit in edits if isinstance(edits, list) else []:
        engines.append(("edited by", "decoder", edit.get("engine") if isinstance(edit, dict) else None))
    used = [(how, *found) for how, kind, name in engines if (found := _licence(kind, name)) is not None]
    return _licence("decoder", decoder), used, request, seed


def _licence(kind: str, name):
    """(name, Licence) of a registered component, or None (not a registered name, or "none").
    The components are registered by whoever made the track (importing mmgen does it)."""
    from .. import registry
    from ..errors import InvalidRequest

    if not isinstance(name, str) or name in ("", "none"):
        return None
    try:
        found = registry.entry(kind, name)
    except InvalidRequest:
        return None
    return (found.name, found.licence) if found.licence is not None else None


def _own_weights(request: dict) -> bool:
    from ..checkpoints import SHIPPED

    return request.get("weights") not in (None, "", SHIPPED)


def _most_restricted(levels: list[str]) -> str:
    known = [level for level in levels if level in COMMERCIAL]
    return max(known, key=COMMERCIAL.index) if known else "see the recording's own licence"


def tag_file(path: str | Path, fields: dict[str, str]) -> None:
    """Write `fields` (provenance_fields) into the file at `path`, in the tags its suffix's format
    keeps. Raises GenerationFailed, in plain words, when the file cannot be tagged."""
    path = Path(path)
    writers = {
        ".wav": _tag_wav,
        ".mp3": _tag_mp3,
        ".flac": _tag_vorbis,
        ".ogg": _tag_vorbis,
        ".mp4": _tag_mp4,
        ".mid": _tag_midi,
        ".midi": _tag_midi,
    }
    suffix = path.suffix.lower()
    if suffix not in writers:
        raise ValueError(f"{path.name}: no provenance tags for {suffix or 'files without a suffix'}")
    values = {key: clean(value) for key, value in fields.items() if clean(value)}
    try:
        writers[suffix](path, values)
    except Exception as error:
        raise GenerationFailed(
            f"The {suffix} file could not be tagged with how it was made ({type(error).__name__}: "
            f"{clean(error, 200)}), so it was not saved."
        ) from None


def wav_info_chunk(fields: dict[str, str]) -> bytes:
    """A RIFF `LIST`/`INFO` chunk of the fields WAV players read."""
    from .riff import _chunk

    info = {
        b"ISFT": fields.get("software", ""),
        b"ICMT": fields.get("comment", ""),
        b"ICOP": f"Licence {fields['licence']}" if fields.get("licence") else "",
        b"IKEY": "AI-generated" if fields.get("ai_generated") in ("yes", "partly") else "",
    }
    body = b"".join(_chunk(tag, value.encode("utf-8") + b"\0") for tag, value in info.items() if value)
    return _chunk(b"LIST", b"INFO" + body)


def _tag_wav(path: Path, fields: dict[str, str]) -> None:
    from .riff import append_wav_chunks

    append_wav_chunks(path, wav_info_chunk(fields))


def _freeform(fields: dict[str, str]) -> dict[str, str]:
    return {FREEFORM[key]: value for key, value in fields.items() if key in FREEFORM}


def _tag_mp3(path: Path, fields: dict[str, str]) -> None:
    from mutagen.id3 import COMM, ID3, TSSE, TXXX, ID3NoHeaderError

    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        tags = ID3()
    tags.add(TSSE(encoding=3, text=fields.get("software", "")))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=fields.get("comment", "")))
    for key, value in _freeform(fields).items():
        tags.add(TXXX(encoding=3, desc=key, text=value))
    tags.save(path, v2_version=3)


def _tag_vorbis(path: Path, fields: dict[str, str]) -> None:
    """Vorbis comments (FLAC, Ogg Vorbis); those already there, such as a loop's points, stay."""
    import mutagen

    audio = mutagen.File(path)
    if audio is None:
        raise ValueError("not a FLAC or Ogg Vorbis file")
    if audio.tags is None:
        audio.add_tags()
    for key, value in {"ENCODER": fields.get("software", ""), "COMMENT": fields.get("comment", "")}.items():
        audio.tags[key] = [value]
    for key, value in _freeform(fields).items():
        audio.tags[key] = [value]
    audio.save()


def _tag_mp4(path: Path, fields: dict[str, str]) -> None:
    from mutagen.mp4 import MP4, MP4FreeForm

    video = MP4(path)
    if video.tags is None:
        video.add_tags()
    video.tags["\xa9too"] = [fields.get("software", "")]
    video.tags["\xa9cmt"] = [fields.get("comment", "")]
    if fields.get("licence"):
        video.tags["cprt"] = [f"Licence {fields['licence']}"]
    for key, value in _freeform(fields).items():
        video.tags[f"----:com.apple.iTunes:{key}"] = [MP4FreeForm(value.encode("utf-8"))]
    video.save()


def _tag_midi(path: Path, fields: dict[str, str]) -> None:
    """A copyright meta event (the licence) and a text one (the comment) at the start of track 1;
    MIDI text is Latin-1, so anything beyond it becomes '?'."""
    import mido

    def latin1(text: str) -> str:
        return text.encode("latin-1", "replace").decode("latin-1")

    song = mido.MidiFile(path)
    if not song.tracks:
        song.tracks.append(mido.MidiTrack())
    events = [mido.MetaMessage("text", text=latin1(fields.get("comment", "")), time=0)]
    if fields.get("licence"):
        events.insert(0, mido.MetaMessage("copyright", text=latin1(f"Licence {fields['licence']}"), time=0))
    song.tracks[0][0:0] = events
    song.save(path)
