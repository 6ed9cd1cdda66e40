"""A batch manifest: one request per row, CSV (a header of column names; comma, semicolon or tab
separated) or JSON Lines (an object per line). Every row is checked here, on the machine that
runs the batch, before any music is made: a bad row becomes a `Problem` with its line number and
the others go on.

Columns are the CLI's controls (`python -m mmgen generate --help`), with `_` or `-`:
id, prompt, duration, bpm, key, meter, seed, engine (or decoder), loudness, formats, stems, loop,
game_kit, video, image, lyrics, cuts, video_audio, sound, vocals, vocals_codec, weights, restyle,
restyle_keep, blend_seed, continue, melody, top_k, top_p, temperature, guidance, fix_key.
Paths are relative to the manifest's folder.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import InvalidRequest, MmgenError
from ..request import MAX_SEED, GenerationRequest

MANIFEST_SUFFIXES = (".csv", ".jsonl", ".ndjson")
MAX_ROWS = 100_000
MAX_MANIFEST_BYTES = 50_000_000
# column -> GenerationRequest field, for the controls taken as they are
REQUEST_COLUMNS = {
    "prompt": "prompt",
    "duration": "duration_s",
    "bpm": "tempo_bpm",
    "key": "key",
    "meter": "meter",
    "engine": "decoder",
    "decoder": "decoder",
    "loudness": "loudness_lufs",
    "cuts": "cuts_s",
    "video_audio": "video_audio",
    "sound": "sound",
    "vocals": "vocals",
    "vocals_codec": "vocals_codec",
    "weights": "weights",
    "restyle": "restyle",
    "restyle_keep": "restyle_keep",
    "blend_seed": "blend_seed",
    "top_k": "top_k",
    "top_p": "top_p",
    "temperature": "temperature",
    "guidance": "guidance_scale",
    "fix_key": "fix_key",
}
FILE_COLUMNS = {"video": "video_path", "image": "image_path", "continue": "continue_audio", "melody": "melody_audio"}
INTEGER_COLUMNS = {"top_k", "blend_seed"}
SWITCH_COLUMNS = ("stems", "loop", "game_kit")
COLUMNS = {"id", "seed", "formats", "lyrics", *REQUEST_COLUMNS, *FILE_COLUMNS, *SWITCH_COLUMNS}
DEFAULT_FORMATS = ("wav",)
ROW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass
class Problem:
    """A row that cannot be made as written: where it is and what to fix."""

    line: int
    row_id: str
    message: str


@dataclass
class BatchRow:
    """One checked row: the request (its paths absolute), what to write, and the row's hash.

    `inputs` maps a request field (video_path...) to the absolute path of its file; `digest` is the
    SHA-256 of the request with each input file's content in place of its path, and of the outputs
    asked for: the same digest means the same music and the same files."""

    line: int
    row_id: str
    request: GenerationRequest
    formats: tuple[str, ...]
    stems: bool = False
    game_kit: bool = False
    inputs: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    neural: bool = False  # an engine that wants a GPU (audio engines, a restyle, sung vocals)

    def output_names(self) -> list[str]:
        """The files of the row, relative to the batch's folder (stems are listed once made)."""
        names = [f"{self.row_id}.{suffix}" for suffix in self.formats]
        return names + ([f"{self.row_id}-kit.zip"] if self.game_kit else [])

    @property
    def report_name(self) -> str:
        return f"{self.row_id}.json"


def _key(column: str) -> str:
    return column.strip().lower().replace("-", "_")


def _records(path: Path) -> list[tuple[int, dict]]:
    """(line number, {column: value}) for each row; InvalidRequest when the file is unreadable."""
    if path.suffix.lower() not in MANIFEST_SUFFIXES:
        raise InvalidRequest(f"The manifest '{path.name}' must be a .csv or .jsonl file.")
    if not path.is_file():
        raise InvalidRequest(f"There is no manifest '{path}'.")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise InvalidRequest(f"The manifest '{path.name}' is larger than {MAX_MANIFEST_BYTES // 1_000_000} MB.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest(f"The manifest '{path.name}' is not UTF-8 text.") from None
    if path.suffix.lower() == ".csv":
        records = _csv_records(text, path.name)
    else:
        records = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not records:
        raise InvalidRequest(f"The manifest '{path.name}' has no rows.")
    if len(records) > MAX_ROWS:
        raise InvalidRequest(f"The manifest '{path.name}' has {len(records):,} rows; at most {MAX_ROWS:,} at once.")
    return records


def _csv_records(text: str, name: str) -> list[tuple[int, dict]]:
    first = text.split("\n", 1)[0]  # the header: spreadsheets in many languages save with ; or tabs
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    try:
        header = [_key(c) for c in next(reader)]
    except StopIteration:
        return []
    except csv.Error as error:
        raise InvalidRequest(f"The manifest '{name}' is not valid CSV: {error}.") from None
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:  # a misspelt column would drop a control from every row without a word
        raise InvalidRequest(
            f"The manifest '{name}' has a column mmgen does not know: '{unknown[0]}'. "
            f"Columns: {', '.join(sorted(COLUMNS))}."
        )
    if len(set(header)) != len(header):
        raise InvalidRequest(f"The manifest '{name}' names a column twice.")
    records = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                records.append((reader.line_num, f"This row has {len(cells)} cells; the header names {len(header)}."))
                continue
            records.append((reader.line_num, dict(zip(header, cells))))
    except csv.Error as error:
        raise InvalidRequest(f"The manifest '{name}' is not valid CSV (line {reader.line_num}): {error}.") from None
    return records


def _switch(value, column: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "0", "no", "false", "off"):
        return False
    if text in ("1", "yes", "true", "on"):
        return True
    raise InvalidRequest(f"'{column}' must be yes or no, not {value!r}.")


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _input_file(value, column: str, folder: Path) -> Path:
    path = (folder / str(value).strip()).expanduser()
    if not path.is_file():
        raise InvalidRequest(f"The {column} file '{value}' is not there (paths are relative to the manifest).")
    return path.resolve()


def _lyrics(value, folder: Path) -> str:
    """The words themselves, or a text file beside the manifest holding them (a .txt that is not
    there is a mistake, not the words "song.txt")."""
    from ..encoders.lyrics import lyrics_from

    text = str(value)
    named = text.strip()
    if "\n" not in text and named.lower().endswith(".txt") and not (folder / named).is_file():
        raise InvalidRequest(f"The lyrics file '{named}' is not there (paths are relative to the manifest).")
    return lyrics_from(text, folder)


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _formats(value, request: GenerationRequest, neural: bool) -> tuple[str, ...]:
    from ..post.export import OUTPUT_SUFFIXES, SCORE_FORMATS, TOKEN_FORMATS

    names = [s.strip().lower().lstrip(".") for s in re.split(r"[\s,;]+", str(value or "")) if s.strip()]
    names = list(dict.fromkeys(names)) or list(DEFAULT_FORMATS) + (["mp4"] if request.video_path else [])
    for name in names:
        suffix = f".{name}"
        if suffix not in OUTPUT_SUFFIXES or suffix == ".midi":
            known = " ".join(s.lstrip(".") for s in OUTPUT_SUFFIXES if s != ".midi")
            raise InvalidRequest(f"'{name}' is not a format mmgen writes; choose from: {known}.")
        if suffix == ".mp4" and not request.video_path:
            raise InvalidRequest("An mp4 needs a video to put the music under: give the row a video.")
        if suffix in SCORE_FORMATS and neural and request.restyle == "none":
            raise InvalidRequest(f"The engine '{request.decoder}' makes audio, so there is no score to save as mid.")
        if suffix in TOKEN_FORMATS and not neural:
            raise InvalidRequest(f"The engine '{request.decoder}' makes a score; ecdc holds an audio engine's tokens.")
    return tuple(names)


def check_row(line: int, record: dict, folder: Path) -> BatchRow:
    """One manifest row as a checked BatchRow, or InvalidRequest saying what is wrong with it."""
    from .. import registry
    from ..request import validate

    values = {_key(k): v for k, v in record.items()}
    values = {k: v for k, v in values.items() if v is not None and str(v).strip() != ""}
    unknown = sorted(set(values) - COLUMNS)
    if unknown:
        raise InvalidRequest(f"'{unknown[0]}' is not a control mmgen knows.")
    for column, value in values.items():  # JSON: true is not a tempo, a list only a list of formats or cuts
        if isinstance(value, bool) and column not in SWITCH_COLUMNS:
            raise InvalidRequest(f"'{column}' must be a number or text, not {str(value).lower()}.")
        if isinstance(value, (list, dict)) and column not in ("formats", "cuts"):
            raise InvalidRequest(f"'{column}' must be a number or text, not a {type(value).__name__}.")
    if isinstance(values.get("formats"), list):
        values["formats"] = " ".join(str(v) for v in values["formats"])
    row_id = str(values.get("id", f"row-{line}")).strip()
    if not ROW_ID.fullmatch(row_id):
        raise InvalidRequest(f"The id '{row_id}' must be letters, digits, '.', '_' or '-' (at most 100).")
    kwargs, inputs = {}, {}
    for column, name in REQUEST_COLUMNS.items():
        if column in values:
            kwargs[name] = values[column]
            if column in INTEGER_COLUMNS and isinstance(kwargs[name], str) and re.fullmatch(r"\d+", kwargs[name]):
                kwargs[name] = int(kwargs[name])
    for column, name in FILE_COLUMNS.items():
        if column in values:
            inputs[name] = str(_input_file(values[column], column, folder))
    if "lyrics" in values:
        kwargs["lyrics"] = _lyrics(values["lyrics"], folder)
    stems, loop, game_kit = (_switch(values.get(c, ""), c) for c in SWITCH_COLUMNS)
    if "duration_s" not in kwargs and "video_path" not in inputs and "lyrics" not in kwargs:
        raise InvalidRequest("Give the row a duration in seconds (or a video, or lyrics).")
    kwargs.setdefault("duration_s", None)
    request = GenerationRequest(**kwargs, **inputs, loop=loop or game_kit)
    # What the row asks for, its input files by their content: what decides the music and files.
    asked = {**request.to_dict(), **{name: _file_digest(Path(path)) for name, path in inputs.items()}}
    asked["outputs"] = [values.get("formats", ""), stems, game_kit, row_id]
    seed = values.get("seed")
    if seed is None:  # no seed given: one from the row itself, so a remade row is the same music
        seed = int(hashlib.sha256(_canonical(asked).encode()).hexdigest()[:8], 16) % (MAX_SEED + 1)
    request = validate(replace(request, seed=seed))
    entry = registry.entry("decoder", request.decoder)
    status = entry.check()
    if not status.ok:
        raise InvalidRequest(f"The engine '{request.decoder}' is not available here: {status.reason}")
    neural = entry.tokens != "score"
    formats = _formats(values.get("formats"), request, neural)
    if (stems or game_kit) and (neural or request.sound != "produced"):
        raise InvalidRequest("Stems and game kits need a score engine (such as the composer) with the produced sound.")
    asked["seed"] = request.seed
    digest = hashlib.sha256(_canonical(asked).encode()).hexdigest()
    needs_gpu = neural or request.restyle != "none" or request.vocals != "none"
    return BatchRow(line, row_id, request, formats, stems, game_kit, inputs, digest, needs_gpu)


def read_manifest(path: str | Path) -> tuple[list[BatchRow], list[Problem]]:
    """Every row of the manifest, checked: (the rows to make, the rows that cannot be made)."""
    from ..components import register_builtins

    register_builtins()
    manifest = Path(path).expanduser()
    folder = manifest.resolve().parent
    rows, problems, lines_of = [], [], {}
    for line, record in _records(manifest):
        row_id = f"row-{line}"
        try:
            if isinstance(record, str) and manifest.suffix.lower() == ".csv":
                raise InvalidRequest(record)  # what _csv_records found wrong with the row
            if isinstance(record, str):
                record = _json_record(record)
            row_id = str(record.get("id") or row_id).strip()
            row = check_row(line, record, folder)
            if row.row_id in lines_of:
                raise InvalidRequest(f"The id '{row.row_id}' is used on line {lines_of[row.row_id]} already.")
        except MmgenError as error:
            problems.append(Problem(line, row_id, str(error)))
            continue
        except Exception as error:  # a bug, not the row's fault: the row is reported, the batch goes on
            problems.append(
                Problem(line, row_id, f"something went wrong inside mmgen ({type(error).__name__}: {error})")
            )
            continue
        lines_of[row.row_id] = line
        rows.append(row)
    return rows, problems


def _json_record(text: str) -> dict:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidRequest(f"This line is not valid JSON ({error.msg}).") from None
    if not isinstance(record, dict):
        raise InvalidRequest('Each line must be a JSON object, such as {"prompt": "...", "duration": 30}.')
    return record
