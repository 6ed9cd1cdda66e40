"""Where the learned symbolic models' weights are: the shipped checkpoints, and personal ones.

    shipped:  assets/models/symbolic-<family>/            (or $MMGEN_SYMBOLIC_MODELS/symbolic-<family>/)
    personal: <data folder>/models/<name>/symbolic-<family>/

A personal checkpoint is what `python -m mmgen.training.dpo` (tuned on a library's ratings) or a
training script's `--init-from shipped` (fine-tuned on a MIDI folder) writes: beside the shipped
weights, never over them. A request picks one by name (`weights`, `--weights` in the CLI, *Model
weights* in the studio); "shipped" is the default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import InvalidRequest
from .paths import ASSETS

SHIPPED = "shipped"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
WEIGHT_FILES = ("model.safetensors", "config.json")


def model_dir(family: str) -> Path:
    """The shipped checkpoint: assets/models/symbolic-<family>, or under $MMGEN_SYMBOLIC_MODELS."""
    return Path(os.environ.get("MMGEN_SYMBOLIC_MODELS") or ASSETS / "models") / f"symbolic-{family}"


def personal_root() -> Path:
    from .library.store import data_folder

    return data_folder() / "models"


def checked_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name) or name.endswith(".") or ".." in name:
        raise InvalidRequest(
            f"A name for your own weights is 1-40 letters, digits, '-', '_' or '.', not {name!r} (e.g. 'mine')."
        )
    return name


def personal_dir(name: str, family: str) -> Path:
    if checked_name(name) == SHIPPED:
        raise InvalidRequest("'shipped' names mmgen's own weights; choose another name for yours.")
    return personal_root() / name / f"symbolic-{family}"


def complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in WEIGHT_FILES)


def weight_choices(family: str) -> list[str]:
    """ "shipped" and the names of this family's personal checkpoints, sorted."""
    root = personal_root()
    names = sorted(p.parent.name for p in root.glob(f"*/symbolic-{family}") if complete(p)) if root.is_dir() else []
    return [SHIPPED] + [n for n in names if NAME.match(n) and n != SHIPPED]


def weights_dir(family: str, weights: str = SHIPPED) -> Path:
    """The folder of the checkpoint `weights` names for this family, or InvalidRequest saying
    which ones there are."""
    if weights in (None, "", SHIPPED):
        return model_dir(family)
    folder = personal_dir(weights, family)
    if not complete(folder):
        there = ", ".join(weight_choices(family))
        raise InvalidRequest(f"There are no weights named {weights!r} for symbolic-{family}; there are: {there}.")
    return folder


def weights_stamp(folder: Path) -> int:
    """When the folder's weights were written (ns): a checkpoint re-tuned under the same name is
    loaded afresh, not served from the cache."""
    try:
        return (folder / "model.safetensors").stat().st_mtime_ns
    except OSError:
        return 0


def refuse_shipped(out: Path, family: str) -> None:
    """Fine-tuning and DPO write beside the shipped weights, never over them."""
    if Path(out).resolve() == model_dir(family).resolve():
        raise InvalidRequest(
            f"{out} holds the shipped symbolic-{family} weights; write your own with --name NAME or another --out."
        )
