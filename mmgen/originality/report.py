"""`python -m mmgen check FILE`: the verdict on a file a user brings, as one dict with the keys
the CLI's --json prints: verdict (original | similar | copy), nearest, longest_match_notes,
similarity, line (and the rest of what was measured)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidRequest

SCORE_SUFFIXES = (".mid", ".midi")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
MAX_AUDIO_S = 900.0


def check_file(path: str | Path, reference: str | Path | None = None) -> dict:
    """A MIDI file against the known tunes; a recording against the `reference` folder."""
    from ..encoders.files import check_file as existing

    file = existing(path, "file to check")
    suffix = file.suffix.lower()
    if suffix in SCORE_SUFFIXES:
        return _score(file)
    if suffix in AUDIO_SUFFIXES:
        return _recording(file, reference)
    raise InvalidRequest(
        f"'{file.name}' is neither a score nor a recording: check a .mid file, or a "
        f"{', '.join(AUDIO_SUFFIXES)} file with --library."
    )


def _score(file: Path) -> dict:
    from .check import check_piece
    from .features import midi_file_piece

    result = check_piece(midi_file_piece(file))
    if result is None:
        raise InvalidRequest(
            "No index of known tunes is here (assets/originality/index.npz is missing): "
            "build it with python -m mmgen.originality.build."
        )
    return {
        "verdict": result.verdict,
        "nearest": result.nearest or result.longest_match_tune,
        "longest_match_notes": result.longest_match_notes,
        "similarity": result.similarity,
        **result.to_dict(),
    }


def _recording(file: Path, reference: str | Path | None) -> dict:
    if not reference:
        raise InvalidRequest(
            f"A recording is checked against music you point to: add --library DIR, a folder of reference audio "
            f"(your catalogue, a channel's earlier music), to check '{file.name}'."
        )
    from ..encoders.audio import read_audio
    from .audio import check_audio

    samples, rate, _ = read_audio(file, MAX_AUDIO_S)
    result = check_audio(samples, rate, reference)
    return {"longest_match_notes": None, **result.to_dict(), "line": result.line()}
