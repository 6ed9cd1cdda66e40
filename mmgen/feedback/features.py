"""A take as the reward model sees it: named features read from its report.

The plan: style, engine, meter, mode, moods, each part's instrument, energy, length, loop, and
the tempo's place within the style's range (0 at its slow end, 1 at its fast end, and its square,
so a preference for the middle can be learned). The score (score engines): the statistics the
report keeps (eval.metrics.score_statistics: how stepwise and wide the melody is, how busy the
parts and drums are). The audio: its loudness and the mastering limiter.
CLAP's match to the description where it was measured. Categorical features are 1.0 when
present; every value is roughly on a 0..1 scale so one regularisation fits all.
"""

from __future__ import annotations

from functools import lru_cache

TEMPO_FEATURES = ("tempo_position", "tempo_position^2")


@lru_cache(maxsize=1)
def _style_tempos() -> dict[str, tuple[float, float]]:
    from ..vocabulary import load_vocabulary

    return {name: tuple(info["tempo"]) for name, info in load_vocabulary()["styles"].items()}


def tempo_position(style: str, tempo_bpm: float, meter: str = "4/4") -> float | None:
    """Where the tempo sits in the style's range (quarter notes; compound meters count dotted
    quarters): 0 = its slow end, 1 = its fast end; None for an unknown style."""
    low, high = _style_tempos().get(style, (None, None))
    if low is None or high <= low:
        return None
    numerator = int(meter.split("/")[0]) if "/" in meter else 4
    quarters = tempo_bpm * (1.5 if meter.endswith("/8") and numerator % 3 == 0 else 1.0)
    return max(-0.5, min(1.5, (quarters - low) / (high - low)))


def _program_name(program) -> str:
    import pretty_midi

    try:
        return pretty_midi.program_to_instrument_name(int(program)).lower()
    except (TypeError, ValueError):
        return str(program)


def instrument_feature(program: int, role: str) -> str:
    """The feature a part's instrument gives, e.g. "instrument=electric piano 1 (chords)"."""
    return f"instrument={_program_name(program)} ({role})"


def take_features(report: dict) -> dict[str, float]:
    """The named features of one take's report (see the module docstring)."""
    plan, request = report.get("plan") or {}, report.get("request") or {}
    features: dict[str, float] = {}

    def flag(name: str, value) -> None:
        if value not in (None, ""):
            features[f"{name}={value}"] = 1.0

    style = plan.get("style")
    flag("style", style)
    flag("engine", report.get("decoder") or request.get("decoder"))
    flag("meter", plan.get("meter"))
    flag("mode", (plan.get("key") or "").split(" ")[-1] or None)
    flag("sound", request.get("sound"))
    for mood in plan.get("moods") or []:
        flag("mood", mood)
    for role, program in (plan.get("instruments") or {}).items():
        features[instrument_feature(program, role)] = 1.0
    if plan.get("tempo_bpm") and style:
        position = tempo_position(style, float(plan["tempo_bpm"]), plan.get("meter") or "4/4")
        if position is not None:
            features[TEMPO_FEATURES[0]], features[TEMPO_FEATURES[1]] = position, position**2
    for name, value in (("energy", plan.get("energy")), ("loop", plan.get("loop"))):
        if value is not None:
            features[name] = float(value)
    if plan.get("duration_s"):
        features["minutes"] = min(10.0, float(plan["duration_s"])) / 60
    output = report.get("output") or {}
    if output.get("loudness_lufs") is not None:
        features["loudness"] = (float(output["loudness_lufs"]) + 14.0) / 10
    if output.get("limited") is not None:
        features["limited"] = float(bool(output["limited"]))
    if report.get("clap_score") is not None:
        features["clap_score"] = float(report["clap_score"])
    for name, value in (report.get("score") or {}).items():  # eval.metrics.score_statistics
        if isinstance(value, (int, float)):
            features[f"score_{name}"] = float(value)
    return features
