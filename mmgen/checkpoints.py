"""Where the engines' weights are: the shipped checkpoints, and personal ones made from them.

    shipped:  assets/models/symbolic-<family>/            (or $MMGEN_SYMBOLIC_MODELS/symbolic-<family>/)
    personal: <data folder>/models/<name>/<slot>/

A personal checkpoint sits beside the shipped weights, never over them, in the slot of the engine
it plays in:

    symbolic-<family>/  whole weights: `python -m mmgen.training.dpo` (tuned on a library's ratings)
                        or a training script's `--init-from shipped` (fine-tuned on a MIDI folder)
    musicgen-<size>/    a LoRA adapter (peft) of that MusicGen checkpoint (the `musicgen` engine's
                        is musicgen-small/): `python -m mmgen.training.lora --clips DIR`
    ace-step/           a LoRA of ACE-Step's transformer (diffusers' format, or ACE-Step's own),
                        brought in with `python -m mmgen.training.lora --add FILE`; both ACE-Step
                        engines play it

A request picks one by name (`weights`, `--weights` in the CLI, *Model weights* in the studio);
"shipped" (no personal weights) is the default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import InvalidRequest
from .paths import ASSETS

SHIPPED = "shipped"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
WEIGHT_FILES = ("model.safetensors", "config.json")  # a whole symbolic checkpoint
LORA_FILES = ("adapter_config.json", "adapter_model.safetensors")  # a peft adapter (MusicGen)
DIFFUSERS_LORA_FILES = ("pytorch_lora_weights.safetensors",)  # a diffusers LoRA (ACE-Step)


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


def slot(engine: str) -> str | None:
    """The folder a personal checkpoint keeps for `engine` (an engine's name, or a MusicGen
    checkpoint's), or None when it plays none."""
    from .decoders.musicgen.checkpoints import MUSICGEN_VARIANTS

    if engine.startswith("symbolic-"):
        return engine
    if engine.startswith("ace-step"):
        return "ace-step"
    checkpoint = MUSICGEN_VARIANTS[engine][1] if engine in MUSICGEN_VARIANTS else engine
    melody = "melody" in checkpoint  # MusicGen-Melody's decoder is prefix-conditioned: no LoRA trainer yet
    return checkpoint if checkpoint.startswith("musicgen-") and not melody else None


def slot_files(engine: str) -> tuple[str, ...]:
    if engine.startswith("symbolic-"):
        return WEIGHT_FILES
    return LORA_FILES if engine.startswith("musicgen") else DIFFUSERS_LORA_FILES


def personal_folder(name: str, engine: str) -> Path:
    """<data folder>/models/<name>/<the engine's slot>."""
    if checked_name(name) == SHIPPED:
        raise InvalidRequest("'shipped' names mmgen's own weights; choose another name for yours.")
    if slot(engine) is None:
        raise InvalidRequest(f"The engine {engine} plays only its own weights.")
    return personal_root() / name / slot(engine)


def personal_dir(name: str, family: str) -> Path:
    """A learned family's personal checkpoint folder."""
    return personal_folder(name, f"symbolic-{family}")


def complete(folder: Path, engine: str = "symbolic-") -> bool:
    return all((folder / f).is_file() for f in slot_files(engine))


def weight_choices(engine: str) -> list[str]:
    """ "shipped" and the names of the personal checkpoints this engine plays, sorted (only
    "shipped" for an engine that plays none)."""
    root, there = personal_root(), slot(engine)
    if there is None or not root.is_dir():
        return [SHIPPED]
    names = sorted(p.parent.name for p in root.glob(f"*/{there}") if complete(p, engine))
    return [SHIPPED] + [n for n in names if NAME.match(n) and n != SHIPPED]


def personal_weights(engine: str, weights: str | None) -> Path | None:
    """The folder of the personal checkpoint `weights` names for `engine` (None for "shipped"), or
    InvalidRequest saying which ones there are."""
    if weights in (None, "", SHIPPED):
        return None
    if slot(engine) is None:
        raise InvalidRequest(
            f"{engine} plays only its own weights; yours play in the learned engines (symbolic-...), "
            "MusicGen and ACE-Step."
        )
    folder = personal_folder(weights, engine)
    if not complete(folder, engine):
        there = ", ".join(weight_choices(engine))
        raise InvalidRequest(f"There are no weights named {weights!r} for {engine}; there are: {there}.")
    return folder


def requested_weights(request) -> str:
    """The checkpoint a request asks for ("shipped" when it names none, or for no request)."""
    return getattr(request, "weights", None) or SHIPPED


def weights_dir(family: str, weights: str = SHIPPED) -> Path:
    """The folder of the checkpoint `weights` names for this family, or InvalidRequest saying
    which ones there are."""
    return personal_weights(f"symbolic-{family}", weights) or model_dir(family)


def weights_stamp(folder: Path | None) -> int:
    """When the folder's weights were last written (ns): a checkpoint re-tuned under the same name
    is loaded afresh, not served from the cache."""
    try:
        return max(p.stat().st_mtime_ns for p in Path(folder).glob("*.safetensors"))
    except (OSError, TypeError, ValueError):
        return 0


def refuse_shipped(out: Path, family: str) -> None:
    """Fine-tuning and DPO write beside the shipped weights, never over them."""
    if Path(out).resolve() == model_dir(family).resolve():
        raise InvalidRequest(
            f"{out} holds the shipped symbolic-{family} weights; write your own with --name NAME or another --out."
        )
