"""Intensity layers (vertical layering): one loop's stems grouped into three nested mixes.

calm plays the harmony bed (chords, pads, the SoundFont ensemble), medium adds the bass and the
melody, intense adds the drums and percussion: every part of a lower layer plays in the higher
ones sample for sample (the stems of one render, all with the full mix's mastering gain), so a
game can crossfade among the layers at any bar and the shared parts never move or change level.
Each layer is a loop of the same length, and its loudness and note density rise in that order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidRequest

LAYER_NAMES = ("calm", "medium", "intense")
# the layer a part first plays in: 0 calm, 1 medium, 2 intense (parts not named here: medium)
ROLE_TIER = {"chords": 0, "pad": 0, "ensemble": 0, "bass": 1, "melody": 1, "vocals": 1}
ROLE_TIER |= {"drums": 2, "ostinato": 2, "timpani": 2}


@dataclass
class Layer:
    name: str  # calm | medium | intense
    stems: list[str]  # the stems it plays
    samples: np.ndarray  # float32 [C, N]: the sum of its stems
    notes_per_bar: float  # note onsets per bar over its parts (its density)


def layer_stems(stems: list[str], notes_per_bar: Mapping[str, float]) -> list[list[str]]:
    """The stems each of the three layers plays, nested and each adding at least one: by the
    tiers above, or, where a tier is missing, the stems sorted by tier then density and split."""
    ordered = sorted(stems, key=lambda s: (ROLE_TIER.get(s, 1), notes_per_bar.get(s, 0.0)))
    if len(ordered) < 3:
        raise InvalidRequest(
            f"Three intensity layers need at least three parts, and this piece has {len(ordered)} "
            f"({', '.join(ordered)}). Ask for more instruments, for example add 'with bass and drums'."
        )
    tiers = [ROLE_TIER.get(s, 1) for s in ordered]
    cuts = [sum(t <= level for t in tiers) for level in (0, 1)]
    if not 0 < cuts[0] < cuts[1] < len(ordered):  # a tier is empty: split the order in thirds
        third = len(ordered) / 3
        cuts = [max(1, round(third)), max(2, round(2 * third))]
    return [ordered[: cuts[0]], ordered[: cuts[1]], ordered]


def intensity_layers(stems: Mapping[str, np.ndarray], notes_per_bar: Mapping[str, float]) -> list[Layer]:
    """stems (role -> float32 `[C, N]`, mastered, summing to the mix) -> calm, medium, intense."""
    layers = []
    for name, roles in zip(LAYER_NAMES, layer_stems(list(stems), notes_per_bar)):
        mix = np.sum([stems[r] for r in roles], axis=0, dtype=np.float64).astype(np.float32)
        layers.append(Layer(name, roles, mix, round(sum(notes_per_bar.get(r, 0.0) for r in roles), 2)))
    return layers
