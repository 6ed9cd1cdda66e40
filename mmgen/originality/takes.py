"""The check on every score take, in the pipeline: a take that copies a known tune is written
again from another seed (up to MAX_RETRIES times, said in the progress); one that still copies
is returned with a warning. Every check made is kept for the report."""

from __future__ import annotations

from collections.abc import Callable

from .check import check_score

MAX_RETRIES = 2
RETRY_SEED_STEP = 7919  # a retry's decoder seed: the take's seed moved by a prime, so reruns are exact


def retry_seed(seed: int, attempt: int) -> int:
    return (seed + attempt * RETRY_SEED_STEP) % 2**31


def checked_takes(
    plans: list,
    seeds: list[int],
    tokens: list,
    decode_again: Callable[[int, int], object],
    say: Callable[[str], None] | None = None,
) -> tuple[list, list[dict | None]]:
    """(each take's tokens, kept or written again, and its originality record; None when no
    index is here). `decode_again(take, seed)` writes take `take` anew from `seed`."""
    kept, records = list(tokens), []
    for i, (plan, seed) in enumerate(zip(plans, seeds)):
        result = check_score(kept[i], plan.key)
        if result is None:
            records.append(None)
            continue
        checks = [{"decoder_seed": seed, **result.to_dict()}]
        for attempt in range(1, MAX_RETRIES + 1):
            if result.verdict != "copy":
                break
            again = retry_seed(seed, attempt)
            if say:
                say(
                    f"Take {i + 1} repeats {result.longest_match_notes} notes of {result.longest_match_tune}: "
                    f"writing it again with another seed ({attempt} of {MAX_RETRIES})"
                )
            kept[i] = decode_again(i, again)
            result = check_score(kept[i], plan.key)
            checks.append({"decoder_seed": again, **result.to_dict()})
        record = {**checks[-1], "checks": checks}
        if result.verdict == "copy":
            record["warning"] = (
                f"Even after {MAX_RETRIES} new tries this take repeats {result.longest_match_notes} notes of "
                f"{result.longest_match_tune}. Try another seed or description before you publish it."
            )
        records.append(record)
    return kept, records


def originality_note(record: dict | None) -> str:
    """The result view's line (Markdown) for a take's record: the verdict, how many tries it took,
    and the warning of a take that still copies; "" when the take was not checked."""
    if not record:
        return ""
    tries = max(0, len(record.get("checks", [])) - 1)
    again = (
        f" (written again {tries} time{'s' if tries > 1 else ''}: an earlier try copied a known tune)" if tries else ""
    )
    note = f"**Originality:** {record['line']}{again}"
    return note + (f"\n\n⚠️ {record['warning']}" if record.get("warning") else "")


def check_audio_take(track, reference=None, library_files=()) -> dict:
    """An audio engine's take (pipeline.Track) against a reference folder and earlier takes'
    files (audio.check_audio), as the record the report, the app and the CLI show."""
    from .audio import check_audio

    result = check_audio(track.audio.samples, track.audio.sample_rate_hz, reference, library_files)
    return {**result.to_dict(), "line": result.line()}
