"""Which rated takes make (preferred, other) pairs: what the reward model and DPO learn from.

Every A/B pick is a pair. In each library, each liked take (its latest rating) is also paired
with up to MAX_PAIRS_PER_LIKE of the same library's disliked takes, the nearest to it in time
(what a user disliked around the same time is the likeliest comparison they made).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PAIRS_PER_LIKE = 4


@dataclass
class RatedPair:
    better: object  # TrackRecord
    worse: object
    source: str  # "prefer" | "like/dislike"


def rated_pairs(store, library: str | None = None) -> list[RatedPair]:
    """The pairs of one library's ratings (every library's when None), oldest first."""
    records: dict[str, object] = {}

    def record(track_id: str, owner: str):
        if track_id not in records:
            records[track_id] = store.get(owner, track_id)
        return records[track_id]

    pairs: list[RatedPair] = []
    latest: dict[str, tuple[str, str]] = {}  # track -> (its latest like or dislike, library)
    for rating in store.ratings(library):
        owner = rating["library"]
        if rating["kind"] == "prefer":
            better, worse = record(rating["track"], owner), record(rating["over_track"], owner)
            if better is not None and worse is not None:
                pairs.append(RatedPair(better, worse, "prefer"))
        else:
            latest[rating["track"]] = (rating["kind"], owner)
    for liked, (kind, owner) in latest.items():
        better = record(liked, owner)
        if kind != "like" or better is None:
            continue
        disliked = [
            record(t, owner) for t, (k, o) in latest.items() if k == "dislike" and o == owner and record(t, owner)
        ]
        disliked.sort(key=lambda r: abs(r.created_s - better.created_s))
        pairs += [RatedPair(better, worse, "like/dislike") for worse in disliked[:MAX_PAIRS_PER_LIKE]]
    return pairs
