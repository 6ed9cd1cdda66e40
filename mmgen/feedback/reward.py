"""The reward model: which of two takes a user prefers, learned from their ratings.

A Bradley-Terry model over the named features of each take (features.py):

    P(a preferred over b) = sigmoid(w . (f(a) - f(b)))

fitted by L2-regularised logistic regression on the rated pairs (pairs.py), with no intercept
(so the order a pair is read in does not matter). It is small and readable: every weight is a
feature's pull, so what a user likes can be said in the plan's words. Trained by
``python -m mmgen.training.reward``, per library and overall, into <data folder>/reward/; used
to put the best of several takes first (best-of-N), to lean the plan's open tempo toward the
part of the style's range a user liked, and to give an open part the instrument a user liked.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .features import TEMPO_FEATURES, instrument_feature, take_features

MIN_PAIRS = 8  # fewer rated pairs than this teach nothing reliable
LEAN_MIN_LOGIT = 0.2  # the tempo lean is used only when the liked end beats the other by this much
# An instrument heard only with one style shares that style's pull (the two always came together),
# so an instrument lean needs a clearer margin over the plan's own choice.
INSTRUMENT_LEAN_MIN_LOGIT = 0.5


@dataclass
class RewardModel:
    names: list[str]
    weights: list[float]
    pairs: int = 0
    scope: str = "overall"  # "overall" | "library"
    held_out_accuracy: float | None = None
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {name: i for i, name in enumerate(self.names)}

    def score(self, report: dict) -> float:
        """The take's reward (a logit; only differences between takes mean anything)."""
        return sum(self.weights[self.index[k]] * v for k, v in take_features(report).items() if k in self.index)

    def prefers(self, a: dict, b: dict) -> float:
        """P(take a preferred over take b)."""
        return 1 / (1 + math.exp(-(self.score(a) - self.score(b))))

    def ranked(self, reports: list[dict]) -> list[int]:
        """Indices of the reports, the most preferred first (stable for ties)."""
        scores = [self.score(r) for r in reports]
        return sorted(range(len(reports)), key=lambda i: -scores[i])

    def tempo_lean(self) -> float | None:
        """The place in a style's tempo range (0 slow end .. 1 fast end) this user liked best, or
        None when the model has no clear view on tempo."""
        w1, w2 = (self.weights[self.index[n]] if n in self.index else 0.0 for n in TEMPO_FEATURES)
        grid = np.linspace(0, 1, 21)
        values = w1 * grid + w2 * grid**2
        if values.max() - values.min() < LEAN_MIN_LOGIT:
            return None
        return float(grid[int(values.argmax())])

    def instrument_lean(self, role: str, current: int, candidates: list[int]) -> int | None:
        """The candidate program for `role` this user clearly liked more than `current` (its pull
        positive and INSTRUMENT_LEAN_MIN_LOGIT above the current one's), or None (keep the plan's own)."""

        def pull(program: int) -> float:
            i = self.index.get(instrument_feature(program, role))
            return self.weights[i] if i is not None else 0.0

        best = max(candidates, key=pull, default=None)  # ties: the first candidate
        if best is None or best == current or pull(best) <= 0 or pull(best) - pull(current) < INSTRUMENT_LEAN_MIN_LOGIT:
            return None
        return best

    def liked(self, count: int = 5) -> list[tuple[str, float]]:
        """The features that pull most, strongest first: (name, weight)."""
        order = sorted(range(len(self.names)), key=lambda i: -abs(self.weights[i]))
        return [(self.names[i], round(self.weights[i], 3)) for i in order[:count] if abs(self.weights[i]) > 0.05]

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "names": self.names,
            "weights": [round(w, 6) for w in self.weights],
            "pairs": self.pairs,
            "scope": self.scope,
            "held_out_accuracy": self.held_out_accuracy,
        }
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        partial.replace(path)  # never a half-written model under its name
        return path

    @classmethod
    def load(cls, path: Path) -> RewardModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            data["names"],
            [float(w) for w in data["weights"]],
            data.get("pairs", 0),
            data.get("scope", "overall"),
            data.get("held_out_accuracy"),
        )


def fit(pairs: list[tuple[dict, dict]], l2: float = 1.0, scope: str = "overall") -> RewardModel:
    """Fit on (preferred report, other report) pairs."""
    from scipy.optimize import minimize

    features = [(take_features(a), take_features(b)) for a, b in pairs]
    names = sorted({k for fa, fb in features for k in (*fa, *fb)})
    index = {n: i for i, n in enumerate(names)}
    x = np.zeros((len(features), len(names)))
    for row, (fa, fb) in enumerate(features):
        for k, v in fa.items():
            x[row, index[k]] += v
        for k, v in fb.items():
            x[row, index[k]] -= v

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        margin = x @ w  # no intercept: a pair read in either order gives the same loss
        value = np.logaddexp(0, -margin).sum() + 0.5 * l2 * w @ w
        grad = -(x.T @ (1 / (1 + np.exp(margin)))) + l2 * w
        return float(value), grad

    result = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B")
    return RewardModel(names, [float(w) for w in result.x], len(pairs), scope)


def accuracy(model: RewardModel, pairs: list[tuple[dict, dict]]) -> float:
    """Share of pairs whose preferred take the model scores higher (ties count half)."""
    right = [1.0 if d > 0 else 0.5 if d == 0 else 0.0 for d in (model.score(a) - model.score(b) for a, b in pairs)]
    return sum(right) / max(1, len(right))


# ---- where the models are kept ---------------------------------------------------------------


def reward_folder() -> Path:
    from ..library.store import data_folder

    return data_folder() / "reward"


def model_path(library: str | None = None) -> Path:
    """overall.json, or the library's own (named by a hash: the id is the library's key)."""
    if library is None:
        return reward_folder() / "overall.json"
    return reward_folder() / f"library-{hashlib.sha256(library.encode()).hexdigest()[:24]}.json"


def taste_model(library: str | None = None) -> RewardModel | None:
    """The library's own model if it was trained, else the overall one, else None."""
    for path in ([model_path(library)] if library else []) + [model_path()]:
        try:
            return RewardModel.load(path)
        except (OSError, ValueError, KeyError):
            continue
    return None
