"""The studio's *Your tracks* on top of the library: a made take kept with its files, and a kept
track turned back into what the studio shows (player, downloads, plan, figure, settings)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .store import Library, TrackRecord


def keep_take(
    store: Library,
    library: str,
    *,
    player: str | None,
    files: list[str],
    summary: str,
    drawing: str | None,
    settings: dict,
) -> TrackRecord:
    """Keep one made take: its downloads (the report among them gives the request, plan, seed and
    measurements), the player's file and the plan figure; `settings`: what the studio's controls
    were (prompt, duration, decoder, seed), to put them back."""
    report: dict = {}
    for name in files:
        if name.endswith(".json"):
            try:
                report = json.loads(Path(name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                report = {}
            break
    kept = list(dict.fromkeys([*(f for f in files if f), *(p for p in (player, drawing) if p)]))
    report = {
        **report,
        "studio": {
            **settings,
            "player": Path(player).name if player else None,
            "drawing": Path(drawing).name if drawing else None,
            "downloads": [Path(f).name for f in files if f],
        },
    }
    report.setdefault("request", {"prompt": settings.get("prompt", ""), "decoder": settings.get("decoder", "")})
    return store.add(library, report, kept, summary)


def history_entry(record: TrackRecord, number: int, served: Path | None = None) -> dict:
    """The studio's history entry for a kept track. With `served`, its files are first copied
    there (the web server serves only its own folders); pruned files come back as None."""
    files = record.files
    if served is not None and files:
        target = served / record.id
        target.mkdir(parents=True, exist_ok=True)
        files = [shutil.copy2(f, target / Path(f).name) for f in files if Path(f).is_file()]
    studio = record.report.get("studio", {})
    by_name = {Path(f).name: str(f) for f in files}
    drawing = by_name.get(studio.get("drawing") or "")
    return {
        "id": record.id,
        "prompt": studio.get("prompt", record.prompt),
        "duration": studio.get("duration", record.duration_s),
        "decoder": studio.get("decoder", record.engine),
        "seed": studio.get("seed", "" if record.seed is None else str(record.seed)),
        "track": by_name.get(studio.get("player") or ""),
        "files": [by_name[name] for name in studio.get("downloads", list(by_name)) if name in by_name],
        "summary": record.summary,
        "drawing": drawing,
        "rating": record.rating,
        "number": number,
    }


def browser_secret(folder: Path) -> str:
    """The key that seals each browser's library id in its localStorage, kept in `folder` so the
    ids still open after a restart (a fresh one each start would orphan every library)."""
    import secrets

    path = folder / "browser-secret"
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
        folder.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(24)
        path.write_text(secret, encoding="utf-8")
        path.chmod(0o600)
        return secret
    except OSError:
        return secrets.token_urlsafe(24)  # the library cannot be kept here anyway
