"""LoRA fine-tuning of MusicGen on a folder of captioned clips, and bringing in an ACE-Step LoRA.

    python -m mmgen.training.lora --clips DIR --name NAME [--engine musicgen] [--steps 200]
    python -m mmgen.training.lora --add FILE --engine ace-step --name NAME

The folder holds audio files (.wav .flac .mp3 .ogg), each with its caption in a text file of the
same stem (`rain.wav` + `rain.txt`) or in `captions.jsonl` (`{"file": "rain.wav", "caption": ...}`).
Each clip is cut into windows of --window-s seconds and encoded by the checkpoint's own EnCodec
into codes `[K, T]`; the targets are those codes in MusicGen's delay pattern and the condition is
the caption, dropped 10 % of the time as in MusicGen's own training, so guidance still works.
Only LoRA matrices on the decoder's attention and feed-forward layers learn (peft); the text
encoder, EnCodec and the checkpoint's weights stay as they are. One window in five (at least one)
is held out: its loss is measured before, during and after, and the adapter with the best
held-out loss is the one kept.

The adapter is written to <data folder>/models/<name>/<engine>/ (adapter_config.json,
adapter_model.safetensors and mmgen.json with the run's figures) and played with `--weights NAME`
or *Model weights*; the engine merges it into its weights when first asked for it.

An ACE-Step LoRA (trained with ACE-Step's own trainer or diffusers') is checked with diffusers'
`AceStepPipeline.lora_state_dict`, which reads both formats, and written in diffusers' format to
<data folder>/models/<name>/ace-step/, where both ACE-Step engines play it.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InvalidRequest, Unavailable

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]  # the decoder's layers
CAPTION_DROPOUT = 0.1  # MusicGen's own condition dropout: keeps classifier-free guidance working
SHORTEST_WINDOW_S = 1.0


@dataclass
class Window:
    codes: np.ndarray  # [K, T] EnCodec codes of one stretch of a clip
    caption: str
    clip: str  # the clip's file name


def read_clips(folder: Path) -> list[tuple[Path, str]]:
    """(audio file, caption) of every clip in the folder, or InvalidRequest saying what is wrong."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise InvalidRequest(f"There is no folder {folder}.")
    captions = {}
    listing = folder / "captions.jsonl"
    if listing.is_file():
        for number, line in enumerate(listing.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                captions[str(row["file"])] = str(row["caption"]).strip()
            except (ValueError, KeyError, TypeError):
                raise InvalidRequest(f'{listing.name} line {number} is not {{"file": ..., "caption": ...}}.') from None
    clips, missing = [], []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES):
        sidecar = path.with_suffix(".txt")
        caption = captions.get(path.name) or (sidecar.read_text(encoding="utf-8").strip() if sidecar.is_file() else "")
        (clips if caption else missing).append((path, caption))
    if missing:
        names = ", ".join(p.name for p, _ in missing[:5])
        raise InvalidRequest(
            f"These clips have no caption: {names}. Give each a text file of the same name (rain.wav + rain.txt) "
            "or a line in captions.jsonl."
        )
    if not clips:
        raise InvalidRequest(f"{folder} holds no audio clips ({', '.join(AUDIO_SUFFIXES)}).")
    return clips


def encode_audio(model, samples: np.ndarray):
    """Audio `[channels, n]` at the codec's rate -> EnCodec codes `[K, T]` as the decoder models
    them: stereo checkpoints interleave the left and right channels' codebooks (L0 R0 L1 R1 ...)."""
    import torch

    channels = model.decoder.config.audio_channels
    if samples.shape[0] != channels:  # mono clip for a stereo model, or stereo for a mono one
        samples = np.repeat(samples.mean(0, keepdims=True), channels, axis=0)
    encoder = model.audio_encoder
    parameter = next(encoder.parameters())
    with torch.inference_mode():
        per_channel = [
            encoder.encode(torch.from_numpy(np.ascontiguousarray(c))[None, None].to(parameter)).audio_codes[0, 0]
            for c in samples.astype(np.float32)
        ]  # each [codebooks per channel, T]
    return torch.stack(per_channel, 1).reshape(-1, per_channel[0].shape[-1]).cpu().numpy()


def clip_windows(model, clips: list[tuple[Path, str]], window_s: float) -> list[Window]:
    """Each clip read at the codec's rate and cut into windows of at most `window_s` seconds (a
    remainder under a second is dropped unless it is the clip's only window)."""
    import librosa

    rate = model.config.audio_encoder.sampling_rate
    windows = []
    for path, caption in clips:
        try:
            with warnings.catch_warnings():  # librosa's "PySoundFile failed, trying audioread"
                warnings.simplefilter("ignore")
                samples, _ = librosa.load(path, sr=rate, mono=False)
        except Exception:  # a file librosa/soundfile cannot read: say which
            raise InvalidRequest(
                f"I can't read {path.name} as audio: is it a whole {', '.join(AUDIO_SUFFIXES)} file?"
            ) from None
        samples = np.atleast_2d(samples)
        size, n = round(window_s * rate), samples.shape[1]
        starts = [s for s in range(0, n, size) if n - s >= SHORTEST_WINDOW_S * rate] or [0]
        windows += [Window(encode_audio(model, samples[:, s : s + size]), caption, path.name) for s in starts]
    return windows


def delayed_labels(codes: list[np.ndarray], channels: int, pad: int):
    """Windows' codes, each `[K, T_i]` -> labels `[B, max T + delay, K]` in MusicGen's delay pattern:
    codebook k starts k // channels positions late; every position without a code is `pad`
    (masked out of the loss)."""
    import torch

    K = codes[0].shape[0]
    delays = [k // channels for k in range(K)]
    length = max(c.shape[1] for c in codes) + max(delays)
    labels = torch.full((len(codes), K, length), pad, dtype=torch.long)
    for b, c in enumerate(codes):
        for k, d in enumerate(delays):
            labels[b, k, d : d + c.shape[1]] = torch.from_numpy(c[k])
    return labels.transpose(1, 2)


def window_loss(model, tokenizer, windows: list[Window], device: str, rng: np.random.Generator | None = None):
    """Mean cross-entropy of the windows' codes given their captions (captions dropped at random
    when `rng` is given, as in training)."""
    text = tokenizer([w.caption for w in windows], return_tensors="pt", padding=True)
    mask = text["attention_mask"].clone()
    if rng is not None:
        dropped = rng.random(len(windows)) < CAPTION_DROPOUT
        mask[dropped.nonzero()[0]] = 0  # the null condition: zero states, nothing attended
    labels = delayed_labels([w.codes for w in windows], model.decoder.config.audio_channels, pad_id(model))
    out = model(input_ids=text["input_ids"].to(device), attention_mask=mask.to(device), labels=labels.to(device))
    return out.loss


def pad_id(model) -> int:
    pad = model.generation_config.pad_token_id
    return model.decoder.config.vocab_size if pad is None else pad


def held_out_loss(model, tokenizer, windows: list[Window], device: str, batch: int) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        losses = [
            float(window_loss(model, tokenizer, windows[i : i + batch], device)) * len(windows[i : i + batch])
            for i in range(0, len(windows), batch)
        ]
    return sum(losses) / len(windows)


def split(windows: list[Window]) -> tuple[list[Window], list[Window]]:
    """(training, held out): every fifth window held out, at least one when there are two or more."""
    if len(windows) < 2:
        raise InvalidRequest("LoRA needs at least two windows of audio (one is held out): give longer or more clips.")
    held = set(range(len(windows) - 1, -1, -5))
    return [w for i, w in enumerate(windows) if i not in held], [w for i, w in enumerate(windows) if i in held]


def train_musicgen_lora(
    engine: str,
    clips_folder: Path,
    out: Path,
    steps: int = 200,
    rank: int = 8,
    lr: float = 1e-4,
    batch: int = 2,
    window_s: float = 10.0,
    eval_every: int = 25,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Train a LoRA of MusicGen checkpoint `engine` on the folder's clips; write the adapter with
    the best held-out loss to `out`. Returns the run's figures (also in out/mmgen.json)."""
    import time

    import torch
    import transformers
    from peft import LoraConfig, get_peft_model

    from ..checkpoints import slot
    from ..decoders.musicgen.checkpoints import MUSICGEN_VARIANTS, locate
    from ..devices import pick_device
    from .runs import Run

    checkpoint = slot(engine) if engine in MUSICGEN_VARIANTS else None
    if checkpoint is None:
        names = ", ".join(n for n in MUSICGEN_VARIANTS if slot(n))
        raise InvalidRequest(f"LoRA fine-tuning works on {names}, not {engine}.")
    status, source = locate(checkpoint)
    if not status.ok:
        raise Unavailable(f"{engine} is not available here: {status.reason}")
    clips = read_clips(clips_folder)
    torch.manual_seed(seed)
    device = pick_device()
    tokenizer = transformers.AutoTokenizer.from_pretrained(source)
    model = transformers.MusicgenForConditionalGeneration.from_pretrained(source, dtype=torch.float32).to(device)
    training, held = split(clip_windows(model, clips, window_s))
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.05, target_modules=TARGET_MODULES)
    model.requires_grad_(False)
    model.decoder = get_peft_model(model.decoder, config)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=lr, weight_decay=0.0)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    run = Run(staging, model.decoder, {"model": optimizer}, seed, resume=False)
    evaluations = [(0, held_out_loss(model, tokenizer, held, device, batch))]
    best = evaluations[0][1]
    model.decoder.save_pretrained(staging)  # step 0: the checkpoint itself, should nothing beat it
    started = time.time()
    while run.step < steps:
        model.train()
        picked = run.rng.choice(len(training), size=min(batch, len(training)), replace=False)
        loss = window_loss(model, tokenizer, [training[i] for i in picked], device, run.rng)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        run.step += 1
        figures = {"loss": loss.item()}
        if run.step % eval_every == 0 or run.step == steps:
            evaluations.append((run.step, held_out_loss(model, tokenizer, held, device, batch)))
            figures["held_out"] = evaluations[-1][1]
            if evaluations[-1][1] < best:
                best = evaluations[-1][1]
                model.decoder.save_pretrained(staging)
        if progress:
            run.progress(steps, figures)
    if progress:
        print(file=sys.stderr)
    info = {
        "engine": engine,
        "checkpoint": checkpoint,
        "source": str(source),
        "clips": [p.name for p, _ in clips],
        "windows": {"training": len(training), "held_out": len(held), "window_s": window_s},
        "lora": {"rank": rank, "alpha": 2 * rank, "target_modules": TARGET_MODULES},
        "trainable_parameters": sum(p.numel() for p in trainable),
        "steps": steps,
        "lr": lr,
        "batch": batch,
        "held_out_loss": {"before": evaluations[0][1], "best": best, "evaluations": evaluations},
        "seconds": round(time.time() - started, 1),
        "device": device,
    }
    (staging / "mmgen.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    _swap_into_place(staging, out)
    return info


def _swap_into_place(staging: Path, out: Path) -> None:
    """The finished folder takes the name; a name's earlier weights go only once it is complete."""
    out.parent.mkdir(parents=True, exist_ok=True)
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def merge_adapter(model, folder: Path) -> None:
    """Merge the LoRA adapter in `folder` into a MusicGen model's decoder, in place: decoding then
    costs what it costs with the checkpoint's own weights."""
    from peft import PeftModel

    try:
        model.decoder = PeftModel.from_pretrained(model.decoder, str(folder)).merge_and_unload()
    except (RuntimeError, ValueError, KeyError) as error:  # shapes of another checkpoint, a broken file
        raise InvalidRequest(f"The weights in {folder} do not fit this model: {str(error).splitlines()[0]}") from None


def add_ace_step_lora(source: Path, out: Path) -> int:
    """Check an ACE-Step LoRA (a .safetensors file, or a folder holding one) and write it in
    diffusers' format to `out`. Returns how many tensors it holds."""
    from diffusers import AceStepPipeline
    from safetensors.torch import save_file

    source = Path(source).expanduser()
    if source.is_dir():
        found = sorted(source.glob("*.safetensors"))
        if not found:
            raise InvalidRequest(f"{source} holds no .safetensors file.")
        source = found[0]
    if not source.is_file() or source.suffix != ".safetensors":
        raise InvalidRequest(f"{source} is not a .safetensors file.")
    try:
        state = AceStepPipeline.lora_state_dict(str(source))
    except Exception as error:  # not a safetensors file, or keys diffusers does not read
        raise InvalidRequest(f"{source.name} is not a LoRA diffusers can read: {str(error).splitlines()[0]}") from None
    if not state or not any("lora" in key for key in state):
        raise InvalidRequest(f"{source.name} holds no LoRA weights.")
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in state.items()}, str(staging / "pytorch_lora_weights.safetensors"))
    (staging / "mmgen.json").write_text(json.dumps({"engine": "ace-step", "source": source.name}), encoding="utf-8")
    _swap_into_place(staging, out)
    return len(state)


def main(argv: list[str] | None = None) -> int:
    from ..checkpoints import personal_folder

    parser = argparse.ArgumentParser(prog="python -m mmgen.training.lora", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="musicgen", help="musicgen (default), musicgen-medium, ... or ace-step")
    parser.add_argument("--name", required=True, help="what to call your weights (played with --weights NAME)")
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--clips", type=Path, help="a folder of audio clips with captions (MusicGen)")
    given.add_argument("--add", type=Path, metavar="FILE", help="an ACE-Step LoRA made elsewhere (.safetensors)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rank", type=int, default=8, help="LoRA rank (alpha is twice the rank)")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--window-s", type=float, default=10.0, help="seconds of audio per training example")
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        if not (args.steps >= 1 and 1 <= args.rank <= 256 and args.batch >= 1 and args.eval_every >= 1):
            raise InvalidRequest("--steps, --batch and --eval-every are at least 1, --rank 1 to 256.")
        if not (math.isfinite(args.lr) and args.lr > 0 and 1.0 <= args.window_s <= 30.0):
            raise InvalidRequest("--lr is a positive number and --window-s 1 to 30 seconds.")
        out = personal_folder(args.name, args.engine)
        if args.add:
            if not args.engine.startswith("ace-step"):
                raise InvalidRequest("--add brings in an ACE-Step LoRA: use it with --engine ace-step.")
            count = add_ace_step_lora(args.add, out)
            print(f"ACE-Step LoRA '{args.name}' ({count} tensors) is in {out}; play it with --weights {args.name}.")
            return 0
        if not args.engine.startswith("musicgen"):
            raise InvalidRequest(f"--clips trains a MusicGen LoRA; {args.engine} is not MusicGen.")
        import transformers

        transformers.utils.logging.disable_progress_bar()  # the run's own progress line is the one shown
        info = train_musicgen_lora(
            args.engine,
            args.clips,
            out,
            args.steps,
            args.rank,
            args.lr,
            args.batch,
            args.window_s,
            args.eval_every,
            args.seed,
        )
    except (InvalidRequest, Unavailable) as error:
        print(f"mmgen: {error}", file=sys.stderr)
        return 2
    loss = info["held_out_loss"]
    print(
        f"LoRA '{args.name}' for {args.engine}: held-out loss {loss['before']:.3f} -> {loss['best']:.3f} "
        f"in {info['seconds']:.0f} s; written to {out}; play it with --weights {args.name}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
