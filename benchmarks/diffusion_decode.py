"""Diffusion decoding cost: ACE-Step 1.5 and Stable Audio 3 medium, component by component, same run.

Builds each engine's diffusers pipeline from the real production architectures with random weights
(mmgen/decoders/diffusion/random_weights.py; nothing is downloaded) and times, for `--seconds` of
music, each part of one generation on its own:

  text encoding        ACE-Step: the caption (~100 tokens) through Qwen3-Embedding-0.6B, the lyrics
                       (~300 tokens) through its embedding table only; SA3: the caption padded to
                       256 tokens through T5Gemma b-b's encoder
  condition encoding   ACE-Step: the lyric encoder (8 layers), the timbre encoder (4 layers, over
                       the 30 s silence latent) and the packing; SA3: the duration embedding
  DiT, one step        one denoising pass of the whole piece (the turbo / distilled models run 8)
  VAE decode           the latents of the whole piece to 48 / 44.1 kHz stereo

Every part is warmed up once on a shorter input first; the DiT step is timed --repeats times and
the median kept. The ACE-Step XL DiT is too big for this machine's memory in fp32 with the rest of
the pipeline: it is built with --xl-layers of its 32 layers and its step time, weights and memory
are scaled to 32 layers (said so in the output). Each engine runs in its own process, so each peak
RSS is its own. CPU: fp32, 2 threads. CUDA: bf16, and the pipeline is also run for real (8 steps).

    python benchmarks/diffusion_decode.py [--device cpu|cuda] [--seconds 30]
        [--engines ace-step,ace-step-xl,stable-audio-3] [--out benchmarks/results/diffusion_decode.md]

The last line is: <engine>_rtf=<seconds of compute per second of music> ... device=<name>
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENGINES = ("ace-step", "ace-step-xl", "stable-audio-3")
TITLES = {
    "ace-step": "ACE-Step 1.5 turbo (2B DiT)",
    "ace-step-xl": "ACE-Step 1.5 XL turbo (4B DiT, the registered checkpoint)",
    "stable-audio-3": "Stable Audio 3 medium",
}
DEFAULT_OUT = "benchmarks/results/diffusion_decode.md"
STEPS = 8  # both registered checkpoints (turbo / distilled) run 8 denoising steps
CAPTION_TOKENS = 100  # ACE-Step's formatted caption (instruction + caption + metadata)
LYRIC_TOKENS = 300
WARMUP_S = 2.0  # music length of the warm-up inputs
CAPTION = "calm lofi piano with soft drums and warm bass , night ambient , gentle and sad"
LYRICS = "[verse]\nnight light sing\nlove night\n\n[chorus]\nsing the love , sing the light\n"
FILLER = "piano drums bass guitar strings synth pad lead calm night light love sing happy dark epic".split()


# ---- measuring ------------------------------------------------------------------------------------


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


PEAK_GB = [0.0]  # the process's peak RSS over every interval between resets (a reset also resets ru_maxrss)


def reset_peak(device) -> None:
    """Restart the peak-RSS counter (VmHWM) of this process, keeping the peak so far in PEAK_GB, and CUDA's."""
    PEAK_GB[0] = max(PEAK_GB[0], peak_rss_gb())
    with contextlib.suppress(OSError):  # not Linux, or not allowed: the peak so far is read instead
        Path("/proc/self/clear_refs").write_text("5")
    if device.type == "cuda":
        import torch

        torch.cuda.reset_peak_memory_stats()


def peak_rss_gb() -> float:
    """Peak RSS since the last reset_peak (VmHWM), else the process's peak (ru_maxrss)."""
    try:
        return int(re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 2**20
    except (OSError, AttributeError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def cpu_seconds() -> tuple[float, float, float]:
    """(this process's user CPU s, its system CPU s, the whole machine's busy CPU s, steal included)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    busy = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    return usage.ru_utime, usage.ru_stime, busy


BUSY_LIMIT = 0.25  # cores other processes may keep busy while a component is timed on the CPU
ATTEMPTS = 3  # timings of a component, at most, while other processes keep more busy than that


def other_cores(before, after, wall: float) -> float | None:
    """Cores the rest of the machine kept busy between two cpu_seconds() readings `wall` seconds apart."""
    user, system, busy = (b - a for a, b in zip(before, after, strict=True))
    return max(0.0, (busy - user - system) / wall) if busy else None


def wait_quiet(device, limit_s: float = 60.0) -> None:
    """On the CPU, wait (up to `limit_s`) until other processes keep at most BUSY_LIMIT cores busy."""
    deadline = time.monotonic() + limit_s
    while device.type == "cpu" and time.monotonic() < deadline:
        before = cpu_seconds()
        time.sleep(1.0)
        busy = other_cores(before, cpu_seconds(), 1.0)
        if busy is None or busy <= BUSY_LIMIT:
            return


def timed(fn, warmup, device, repeats: int = 1) -> dict:
    """Warm up once (`warmup`, a shorter input), then time `fn` `repeats` times: median seconds, every time, what
    `fn` returned when a number, the peak RSS while timed (all weights resident), on CUDA the peak GPU memory, and
    on the CPU how the time was spent: this process's system share (page faults) and the cores other processes
    kept busy meanwhile. On a shared CPU it waits for quiet first, and times again (ATTEMPTS in all) while other
    processes keep more than BUSY_LIMIT cores busy, keeping the least disturbed attempt."""
    import torch

    best = None
    with torch.inference_mode():
        warmup()
        sync(device)
        for attempt in range(1, (ATTEMPTS if device.type == "cpu" else 1) + 1):
            wait_quiet(device)
            reset_peak(device)
            times, values = [], []
            before = cpu_seconds()
            for _ in range(repeats):
                start = time.perf_counter()
                value = fn()
                sync(device)
                times.append(time.perf_counter() - start)
                values.append(value if isinstance(value, float) else None)
            after = cpu_seconds()
            user, system = after[0] - before[0], after[1] - before[1]
            out = {
                "s": statistics.median(times),
                "times": times,
                "values": values,
                "rss_gb": peak_rss_gb(),
                "sys_share": system / max(user + system, 1e-9),
                "other_cores": other_cores(before, after, sum(times)),
                "attempts": attempt,
            }
            if device.type == "cuda":
                out["gpu_gb"] = torch.cuda.max_memory_allocated() / 2**30
            if best is None or (out["other_cores"] or 0.0) < (best["other_cores"] or 0.0):
                best = dict(out)
            best["attempts"] = attempt
            if (out["other_cores"] or 0.0) <= BUSY_LIMIT:
                break
    return best


class LayerSpan:
    """Times the span of a DiT's layers inside each forward (from the first layer's start to the last one's end),
    so that a model built with fewer layers scales only its layers' time."""

    def __init__(self, layers, device) -> None:
        self.device, self.start, self.span = device, 0.0, 0.0
        layers[0].register_forward_pre_hook(self._enter)
        layers[-1].register_forward_hook(self._leave)

    def _enter(self, *_) -> None:
        sync(self.device)
        self.start = time.perf_counter()

    def _leave(self, *_) -> None:
        sync(self.device)
        self.span = time.perf_counter() - self.start


def millions(*modules) -> float:
    return sum(p.numel() for m in modules for p in m.parameters()) / 1e6


def loaded_models(pipe) -> list:
    """Every model the pipeline holds (ACE-Step's audio tokenizer and detokenizer too: loaded, unused by text2music)."""
    return [m for m in pipe.components.values() if hasattr(m, "parameters")]


def weight_bytes(*modules) -> int:
    return sum(p.numel() * p.element_size() for m in modules for p in m.parameters())


def words_to_tokens(count, words: list[str], target: int) -> str:
    """`words` grown with FILLER until `count(text)` reaches `target` tokens (small_tokenizer has a token a word,
    so a realistic token count is reached by length rather than by a real tokenizer's subwords)."""
    filler = cycle(FILLER)
    while count(" ".join(words)) < target:
        words.append(next(filler))
    return " ".join(words)


# ---- the engines (each in its own process) ---------------------------------------------------------


def place(pipe, device, dtype) -> None:
    import torch

    for component in pipe.components.values():
        if hasattr(component, "parameters"):  # built in fp32 on the CPU: move only what must move
            component.to(device=device, **({} if dtype == torch.float32 else {"dtype": dtype}))


def row(name: str, timing: dict, params_m: float, note: str = "", **extra) -> dict:
    return {
        "component": name,
        "s": timing["s"],
        "times": timing.get("times"),
        "params_m": params_m,
        "rss_gb": timing.get("rss_gb"),
        "gpu_gb": timing.get("gpu_gb"),
        "sys_share": timing.get("sys_share"),
        "other_cores": timing.get("other_cores"),
        "attempts": timing.get("attempts"),
        "note": note,
        **extra,
    }


def run_ace_step(args, device, dtype, xl: bool) -> dict:
    import torch

    from mmgen.codecs.latent import samples_per_frame
    from mmgen.decoders.diffusion.random_weights import ACE_STEP_XL_LAYERS, real_ace_step, tiny_ace_step

    built = time.perf_counter()
    layers = args.xl_layers if xl and not args.tiny else None
    pipe = tiny_ace_step() if args.tiny else real_ace_step(xl=xl, transformer_layers=layers)
    place(pipe, device, dtype)
    pipe.set_progress_bar_config(disable=True)
    built = time.perf_counter() - built
    tokenizer, dit, cond, vae = pipe.tokenizer, pipe.transformer, pipe.condition_encoder, pipe.vae
    full_layers = ACE_STEP_XL_LAYERS if xl and not args.tiny else dit.config.num_hidden_layers
    built_layers = dit.config.num_hidden_layers
    scale = full_layers / built_layers
    metas = dict(bpm=90, keyscale="A minor", timesignature="4", audio_duration=args.seconds)

    def count_caption(text):
        return len(tokenizer(pipe._format_prompt(text, "", **metas)[0]).input_ids)

    def count_lyrics(text):
        return len(tokenizer(pipe._format_prompt("", text, **metas)[1]).input_ids)

    caption = words_to_tokens(count_caption, CAPTION.split(), CAPTION_TOKENS)
    lyrics = words_to_tokens(count_lyrics, LYRICS.split(" "), LYRIC_TOKENS)
    caption_n, lyric_n = count_caption(caption), count_lyrics(lyrics)
    rows = []

    def encode(text, words):
        return pipe.encode_prompt(prompt=text, lyrics=words, device=device, **metas)

    encoded = {}
    m = timed(
        lambda: encoded.update(out=encode(caption, lyrics)), lambda: encode(CAPTION, LYRICS), device, args.repeats
    )
    rows.append(
        row(
            "text encoding",
            m,
            millions(pipe.text_encoder),
            f"Qwen3-Embedding-0.6B: caption {caption_n} tokens through 28 layers, lyrics {lyric_n} tokens "
            "through the embedding table",
        )
    )

    timbre_frames = math.ceil(30 * pipe.latents_per_second)  # the pipeline's silence reference: always 30 s
    timbre = cond.silence_latent[:, :timbre_frames, :].to(device=device, dtype=dtype)
    order = torch.arange(1, device=device, dtype=torch.long)

    def condition(text_s, text_m, lyric_s, lyric_m):
        return cond(
            text_hidden_states=text_s,
            text_attention_mask=text_m,
            lyric_hidden_states=lyric_s,
            lyric_attention_mask=lyric_m,
            refer_audio_acoustic_hidden_states_packed=timbre,
            refer_audio_order_mask=order,
        )

    with torch.inference_mode():
        short = encode(CAPTION, LYRICS)
    conditioned = {}
    m = timed(
        lambda: conditioned.update(out=condition(*encoded["out"])), lambda: condition(*short), device, args.repeats
    )
    context, _ = conditioned["out"]
    rows.append(
        row(
            "condition encoding",
            m,
            millions(cond),
            f"lyric encoder over {lyric_n} tokens, timbre encoder over {timbre_frames} silence frames, packing; "
            f"{context.shape[1]} conditioning tokens for the DiT",
        )
    )

    def dit_inputs(seconds):
        frames = math.ceil(seconds * pipe.latents_per_second)
        acoustic = dit.config.audio_acoustic_hidden_dim
        source, _ = pipe.prepare_src_latents(device=device, dtype=dtype, batch_size=1, latent_length=frames)
        mask = pipe._build_chunk_mask("text2music", frames, 1, device, dtype, acoustic)
        latents = torch.randn(1, frames, acoustic, device=device, dtype=dtype)
        t = torch.ones(1, device=device, dtype=dtype)
        return dict(
            hidden_states=latents,
            timestep=t,
            timestep_r=t,
            encoder_hidden_states=context,
            context_latents=torch.cat([source, mask], dim=-1),
            return_dict=False,
        )

    full, warm = dit_inputs(args.seconds), dit_inputs(WARMUP_S)
    frames = full["hidden_states"].shape[1]
    span = LayerSpan(dit.layers, device)

    def step():
        dit(**full)
        return span.span

    m = timed(step, lambda: dit(**warm), device, repeats=args.repeats)
    layer_m = millions(dit.layers[0], dit.layers[1]) / 2
    dit_m = millions(dit) + (full_layers - built_layers) * layer_m
    missing_gb = (full_layers - built_layers) * weight_bytes(dit.layers[0], dit.layers[1]) / 2 / 2**30
    note = f"{frames} latent frames = {math.ceil(frames / dit.config.patch_size)} tokens; median of {args.repeats}"
    measured = m["s"]
    if scale != 1:  # each run: its non-layer part as measured, its layers' part x scale
        scaled = [t + (scale - 1) * layers_s for t, layers_s in zip(m["times"], m["values"], strict=True)]
        m = dict(m, s=statistics.median(scaled))
        note += (
            f"; measured {measured:.2f} s with {built_layers} of its {full_layers} layers (the layers "
            f"{statistics.median(m['values']):.2f} s of it), the layers' time scaled x{scale:g} to {m['s']:.2f} s; "
            f"weights and every row's RSS have the missing {full_layers - built_layers} layers' weights added"
        )
    rows.append(row("DiT, one step", m, dit_m, note, measured_s=measured))
    rows.append(
        row(f"DiT, {STEPS} steps (x{STEPS})", dict(m, s=m["s"] * STEPS), dit_m, "derived: one step x 8", derived=True)
    )

    latents = torch.randn(1, frames, dit.config.audio_acoustic_hidden_dim, device=device, dtype=dtype)
    warm_latents = latents[:, : math.ceil(WARMUP_S * pipe.latents_per_second)]
    m = timed(lambda: vae.decode(latents.transpose(1, 2)), lambda: vae.decode(warm_latents.transpose(1, 2)), device)
    hop, rate = samples_per_frame(vae), vae.config.sampling_rate
    rows.append(
        row(
            "VAE decode",
            m,
            millions(vae.decoder),
            f"AutoencoderOobleck decoder, {frames} frames -> {frames * hop} samples at {rate} Hz, stereo",
        )
    )

    if args.full_pipeline and scale == 1:

        def call(seconds, text=caption, words=lyrics):
            return pipe(
                prompt=text,
                lyrics=words,
                audio_duration=seconds,
                num_inference_steps=STEPS,
                guidance_scale=1.0,
                bpm=metas["bpm"],
                keyscale=metas["keyscale"],
                timesignature=metas["timesignature"],
                output_type="latent",
            ).audios

        m = timed(lambda: call(args.seconds), lambda: call(WARMUP_S, CAPTION, LYRICS), device)
        rows.append(
            row(
                f"pipeline call, {STEPS} steps, to latents",
                m,
                millions(pipe.text_encoder, cond, dit),
                "measured: AceStepPipeline(...) text + condition + 8 DiT steps + scheduler",
                measured=True,
            )
        )

    loaded = millions(*loaded_models(pipe)) + (full_layers - built_layers) * layer_m
    unused = [m for m in (pipe.audio_tokenizer, pipe.audio_token_detokenizer) if m is not None]
    for r in rows:  # every part runs with the whole model resident
        r["rss_gb"] += missing_gb
    return {
        "rows": rows,
        "build_s": built,
        "params_m": loaded,
        "missing_gb": missing_gb,
        "unused_m": millions(*unused),
        "built_layers": built_layers,
        "full_layers": full_layers,
    }


def run_stable_audio_3(args, device, dtype) -> dict:
    import torch
    from diffusers.pipelines.stable_audio_3.pipeline_stable_audio_3 import logsnr_sigma_schedule, retrieve_timesteps

    from mmgen.decoders.diffusion.random_weights import real_stable_audio_3, stable_audio_3_vae, tiny_stable_audio_3

    built = time.perf_counter()
    pipe = tiny_stable_audio_3() if args.tiny else real_stable_audio_3()
    place(pipe, device, dtype)
    pipe.set_progress_bar_config(disable=True)
    built = time.perf_counter() - built
    dit, vae = pipe.transformer, pipe.vae
    rows = []
    tokens = min(getattr(pipe.tokenizer, "model_max_length", 256), 256)

    encoded = {}
    m = timed(
        lambda: encoded.update(out=pipe.encode_prompt(CAPTION, device, 1)),
        lambda: pipe.encode_prompt("piano", device, 1),  # padded to 256 tokens too: the same shape
        device,
        args.repeats,
    )
    rows.append(
        row(
            "text encoding",
            m,
            millions(pipe.text_encoder),
            f"T5Gemma b-b encoder (assumed shape), caption padded to {tokens} tokens",
        )
    )
    prompt_embeds, prompt_mask = encoded["out"]

    def condition():
        duration = pipe.encode_duration(args.seconds, device, 1, 1)
        return duration, *pipe.prepare_cross_attention(prompt_embeds, prompt_mask, duration)

    conditioned = {}
    m = timed(lambda: conditioned.update(out=condition()), condition, device, args.repeats)
    duration, context, context_mask = conditioned["out"]
    rows.append(
        row(
            "condition encoding",
            m,
            millions(pipe.duration_embedder),
            "StableAudio3DurationEmbedder + the duration token appended to the text",
        )
    )

    hop = vae.downsampling_ratio
    sigmas = logsnr_sigma_schedule(STEPS, -6.2, 2.0)
    timesteps, _ = retrieve_timesteps(pipe.scheduler, sigmas=sigmas, device=device)

    def dit_inputs(seconds):
        frames = int(math.ceil(seconds * vae.config.sampling_rate / hop))
        latents = torch.randn(1, vae.config.latent_dim, frames, device=device, dtype=dtype)
        return (latents, timesteps[0].expand(1)), dict(
            encoder_hidden_states=context,
            global_hidden_states=duration,
            encoder_attention_mask=context_mask,
            return_dict=False,
        )

    (full, full_kw), (warm, warm_kw) = dit_inputs(args.seconds), dit_inputs(WARMUP_S)
    frames = full[0].shape[-1]
    m = timed(lambda: dit(*full, **full_kw), lambda: dit(*warm, **warm_kw), device, repeats=args.repeats)
    dit_m = millions(dit)
    rows.append(
        row(
            "DiT, one step",
            m,
            dit_m,
            f"{frames} latent frames + {dit.config.num_memory_tokens} memory tokens; median of {args.repeats}",
        )
    )
    rows.append(
        row(f"DiT, {STEPS} steps (x{STEPS})", dict(m, s=m["s"] * STEPS), dit_m, "derived: one step x 8", derived=True)
    )

    latents, warm_latents = full[0], warm[0]
    m = timed(lambda: vae.decode(latents), lambda: vae.decode(warm_latents), device)
    rows.append(
        row(
            "VAE decode",
            m,
            millions(vae.decoder, vae.bottleneck),
            f"AutoencoderSAME-L decoder (852 M with its encoder), {frames} frames -> {frames * hop} samples "
            f"at {vae.config.sampling_rate} Hz, stereo",
        )
    )

    if args.full_pipeline:

        def call(seconds, text=CAPTION):
            return pipe(
                text, duration=seconds, num_inference_steps=STEPS, guidance_scale=1.0, output_type="latent"
            ).audios

        m = timed(lambda: call(args.seconds), lambda: call(WARMUP_S, "piano"), device)
        rows.append(
            row(
                f"pipeline call, {STEPS} steps, to latents",
                m,
                millions(pipe.text_encoder, pipe.duration_embedder, dit),
                "measured: StableAudio3Pipeline(...) text + duration + 8 DiT steps + scheduler",
                measured=True,
            )
        )

    loaded = millions(*loaded_models(pipe))
    if not args.tiny:  # the class defaults, SAME-S (the SA3 small models' VAE): for comparison, not in the total
        del pipe, vae, dit
        small = stable_audio_3_vae(large=False).to(device=device, dtype=dtype)
        m = timed(lambda: small.decode(latents), lambda: small.decode(warm_latents), device)
        rows.append(
            row(
                "VAE decode, SAME-S (class defaults)",
                m,
                millions(small.decoder, small.bottleneck),
                "for comparison only (the SA3 small models' VAE; built after the pipeline was freed): not in the total",
                extra_row=True,
            )
        )
    return {"rows": rows, "build_s": built, "params_m": loaded, "missing_gb": 0.0}


def child(args) -> None:
    import resource

    import torch

    device = torch.device(args.device)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    load_before = os.getloadavg()[0]
    if args.child == "stable-audio-3":
        result = run_stable_audio_3(args, device, dtype)
    else:
        result = run_ace_step(args, device, dtype, xl=args.child == "ace-step-xl")
    result.update(
        engine=args.child,
        self_maxrss_gb=max(PEAK_GB[0], peak_rss_gb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20),
        load=[load_before, os.getloadavg()[0]],
        dtype=str(dtype).replace("torch.", ""),
        threads=torch.get_num_threads(),
    )
    Path(args.result).write_text(json.dumps(result, indent=1))


# ---- the parent: one process per engine, then the report ---------------------------------------------


def run_child(engine: str, args) -> dict:
    """Run one engine in its own process; its result, with its own peak RSS (wait4's ru_maxrss)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_path = handle.name
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        engine,
        "--result",
        result_path,
        "--device",
        args.device,
        "--seconds",
        str(args.seconds),
        "--repeats",
        str(args.repeats),
        "--xl-layers",
        str(args.xl_layers),
        "--threads",
        str(args.threads),
    ]
    command += ["--tiny"] * args.tiny + ["--full-pipeline"] * args.full_pipeline
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{engine}: the benchmark process failed ({process.returncode})")
    result = json.loads(Path(result_path).read_text())
    os.unlink(result_path)
    # wait4's ru_maxrss (kB on Linux) is the peak since the child's last VmHWM reset; the child folds in the rest
    result["maxrss_gb"] = max(usage.ru_maxrss / 2**20, result["self_maxrss_gb"])
    result["wall_s"] = time.perf_counter() - start
    return result


def summary(result: dict, seconds: float) -> dict:
    rows = {r["component"]: r for r in result["rows"]}
    parts = ["text encoding", "condition encoding", f"DiT, {STEPS} steps (x{STEPS})", "VAE decode"]
    total = sum(rows[p]["s"] for p in parts)
    measured = next((r for r in result["rows"] if r.get("measured")), None)
    return {
        "total_s": total,
        "rtf": total / seconds,
        "dit_share": rows[parts[2]]["s"] / total,
        "vae_share": rows[parts[3]]["s"] / total,
        "peak_gb": result["maxrss_gb"] + result["missing_gb"],
        "measured": measured,
    }


def markdown(results: list[dict], args, device_name: str) -> str:
    s = f"{args.seconds:g} s"
    scaled_xl = any(r["engine"] == "ace-step-xl" and r["built_layers"] != r["full_layers"] for r in results)
    gpu_head = " peak GPU memory (GB) |" if args.device == "cuda" else ""
    lines = [
        "# Diffusion decoding cost: ACE-Step 1.5 and Stable Audio 3 medium, component by component",
        "",
        f"`python benchmarks/diffusion_decode.py --device {args.device} --seconds {args.seconds:g} --engines "
        f"{','.join(r['engine'] for r in results)}`. Measured {datetime.date.today().isoformat()} on {device_name}, "
        f"{results[0]['dtype']}, {results[0]['threads']} threads, torch {results[0]['versions']['torch']}, diffusers "
        f"{results[0]['versions']['diffusers']}, transformers {results[0]['versions']['transformers']}.",
        "",
        "**Random weights of the real production architectures** (`mmgen/decoders/diffusion/random_weights.py`, "
        "the `real_*` builders; nothing downloaded): the cost of every matrix product is that of the real models, "
        "what they compute is noise. Each component is warmed up once on a shorter input, then timed for "
        f"{s} of music: text encoding, condition encoding and the DiT step as the median of {args.repeats} runs, "
        "the VAE decode once; while other processes kept more than "
        f"{BUSY_LIMIT:g} of the cores busy a component was timed again ({ATTEMPTS} tries at most, the least "
        "disturbed kept). Each engine ran in its own process, so its peak RSS is its own: the child's ru_maxrss, "
        "with the peaks of every component folded in (a component's peak, its column, is the VmHWM while it ran "
        "with all the engine's weights resident; resetting VmHWM resets ru_maxrss too).",
        "",
        f"| engine | component | s per {s} of music | params (M) | peak RSS (GB) |" + gpu_head,
        "|---|---|---:|---:|---:|" + "---:|" * bool(gpu_head),
    ]
    for result in results:
        title = TITLES[result["engine"]]
        for r in result["rows"]:
            name = r["component"] + (" (extra)" if r.get("extra_row") else "")
            params = f"{r['params_m']:.0f}" if r["params_m"] >= 10 else f"{r['params_m']:.1f}"
            seconds = f"{r['s']:.2f}" if r["s"] >= 0.01 else f"{r['s'] * 1000:.2f} ms"
            gpu = f" {r['gpu_gb']:.2f} |" if gpu_head and r.get("gpu_gb") is not None else " |" * bool(gpu_head)
            lines.append(f"| {title} | {name} | {seconds} | {params} | {r['rss_gb']:.2f} |{gpu}")
        total = summary(result, args.seconds)
        lines.append(
            f"| {title} | **total** (text + condition + {STEPS} steps + VAE) | **{total['total_s']:.1f}** | "
            f"{result['params_m']:.0f} | {total['peak_gb']:.2f} |"
            + (f" {max(r.get('gpu_gb') or 0.0 for r in result['rows']):.2f} |" if gpu_head else "")
        )
    unused = next((r["unused_m"] for r in results if r.get("unused_m")), 0)
    lines += [
        "",
        "A total's params are every model the pipeline holds"
        + (
            f" (ACE-Step's include its 5 Hz audio tokenizer and detokenizer, {unused:.0f} M, loaded for `cover` and "
            "unused by text-to-music)"
            if unused
            else ""
        )
        + ".",
        "",
        "Notes on the rows:",
        "",
    ]
    for result in results:
        for r in result["rows"]:
            cpu = ""
            if r.get("other_cores") is not None and not r.get("derived"):
                tries = f", {r['attempts']} tries" if (r.get("attempts") or 1) > 1 else ""
                cpu = (
                    f" (system CPU {r['sys_share']:.0%} of its own; other processes busy {r['other_cores']:.2f} "
                    f"cores{tries})"
                )
            lines.append(f"- {TITLES[result['engine']]}, {r['component']}: {r['note']}{cpu}.")
    lines += ["", f"## What the numbers mean ({device_name})", ""]
    for result in results:
        t = summary(result, args.seconds)
        lines.append(
            f"- **{TITLES[result['engine']]}**: {t['total_s']:.0f} s of compute for {s} of music, a real-time "
            f"factor of **{t['rtf']:.1f}** (seconds of compute per second of music; under 1 is faster than "
            f"real time); the {STEPS} DiT steps are {t['dit_share']:.0%} of it, the VAE decode {t['vae_share']:.0%}. "
            f"Peak RSS {t['peak_gb']:.1f} GB"
            + (" (scaled to 32 layers)" if result["engine"] == "ace-step-xl" and result["missing_gb"] else "")
            + (
                f"; the real pipeline call, measured, took {t['measured']['s']:.1f} s to latents"
                if t["measured"]
                else ""
            )
            + "."
        )
    busiest = max(
        (r["other_cores"] or 0.0, TITLES[res["engine"]], r["component"])
        for res in results
        for r in res["rows"]
        if not r.get("derived")
    )
    vae_sys = [
        (r["sys_share"], TITLES[res["engine"]])
        for res in results
        for r in res["rows"]
        if r["component"] == "VAE decode" and (r.get("sys_share") or 0.0) >= 0.2  # where it is a large share
    ]
    lines += [
        "",
        "The DiT's cost grows with the piece's length (its tokens: 12.5 a second for ACE-Step, 10.8 for SA3, plus "
        "attention that grows with the square), the text and condition encoders' do not (the caption, the lyrics "
        "and ACE-Step's 30 s timbre reference are the same for any length), the VAE's grows in proportion. "
        + (
            "Real-time factors far above 1: on a CPU these diffusion engines make a 30 s piece in minutes, not "
            "seconds; they are GPU engines, and on a CPU-only machine mmgen's other decoders remain the ones to use."
            if args.device == "cpu"
            else "On this GPU, in bf16, the pipeline call rows are the real 8-step runs: the x8 rows' check."
        ),
    ]
    if args.device == "cpu" and vae_sys:
        lines += [
            "",
            "Where the VAE's time goes: "
            + ", ".join(f"{share:.0%} of it was system CPU for {title}" for share, title in vae_sys)
            + ". These decoders allocate and free audio-rate tensors of hundreds of MB; freed, those go back to the "
            "kernel, so every call faults in and zeroes fresh pages. That is where a CPU VAE decode could be made "
            "faster: PyTorch's transparent huge pages for CPU tensors (`THP_MEM_ALLOC_ENABLE=1`), a caching "
            "allocator (jemalloc, tcmalloc) or decoding into reused buffers.",
        ]
    ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    if args.device == "cpu":
        peaks = [(summary(r, args.seconds)["peak_gb"], TITLES[r["engine"]]) for r in results]
        too_big = [f"{title} ({peak:.1f} GB)" for peak, title in peaks if peak > ram_gb]
        lines += [
            "",
            f"Memory: mmgen loads the diffusion pipelines in fp32 on a CPU (`mmgen.devices.model_dtype`); this "
            f"machine has {ram_gb:.1f} GB of RAM. "
            + (f"Too big for it: {', '.join(too_big)}. " if too_big else "Every engine fits. ")
            + "On a GPU in bf16 the weights take half as much.",
        ]
    lines += [
        "",
        "What only real weights can show: how the music sounds (whether the VAE gives clean 48 / 44.1 kHz stereo, "
        "whether the turbo / distilled 8 steps are enough), and how well each model keeps to what mmgen's plan "
        "asks: the key, the tempo, the meter, the style and the lyrics. Those are for the project's own judges "
        "once the checkpoints are present (`MMGEN_ACE_STEP_PATH`, `MMGEN_STABLE_AUDIO_3_PATH`): "
        "`benchmarks/key_judges.py` (is the asked key the key heard, by mmgen's, essentia's and madmom's "
        "estimators) and `benchmarks/heard.py` (the genre heard, the distance from real produced music, the key "
        "heard); tempo adherence needs a beat-tracking judge beside them (madmom has one), which neither has yet. "
        "Random weights say nothing about any of it: they say what a generation costs and how much memory it "
        "needs.",
        "",
        "## Assumptions",
        "",
        "- ACE-Step 1.5 turbo (2B): `AceStepTransformer1DModel()` and `AceStepConditionEncoder()` defaults (width "
        "2048, 24 DiT layers, 16 heads, 8 key/value heads, intermediate 6144; lyric encoder 8 layers, timbre encoder "
        "4), `is_turbo=True`; text encoder Qwen3-Embedding-0.6B's shape (hidden 1024, 28 layers, 16 heads, 8 kv "
        "heads, head_dim 128, intermediate 3072, vocab 151669); Oobleck VAE at 48 kHz, downsampling [2, 4, 4, 6, 10] "
        "(1920), channel multiples [1, 2, 4, 8, 16], encoder 128, decoder 128 channels, 64 latent channels.",
        "- ACE-Step 1.5 XL turbo: hidden 2560, 32 layers, 32 heads, condition width 2048 (model card); 8 key/value "
        "heads, head_dim 128 and intermediate 9728 are assumptions, taken from the shapes third-party ports read off "
        "the released weights (they agree with its ~9 GB of bf16 weights against ~4.7 GB for the 2B). Its text "
        "encoder, condition encoder and VAE are the 2B's.",
    ]
    if scaled_xl:
        xl = next(r for r in results if r["engine"] == "ace-step-xl")
        lines.append(
            f"- **The XL DiT was built with {xl['built_layers']} of its {xl['full_layers']} layers** (the "
            "sliding/full alternation kept) to fit this machine's memory next to the rest of the pipeline in fp32: "
            f"in each timed step the layers' own time (from the first layer's start to the last one's end) is "
            f"scaled x{xl['full_layers'] / xl['built_layers']:g}, the rest (patchify, timestep and condition "
            f"embeddings, output) kept as measured; its weights and every row's peak RSS have the missing "
            f"{xl['full_layers'] - xl['built_layers']} layers' weights added ({xl['missing_gb']:.1f} GB of fp32). "
            "Activations do not grow with depth at inference."
        )
    lines += [
        "- Stable Audio 3 medium: `StableAudio3DiTModel()` defaults (width 1536, depth 24, 24 heads, differential "
        "attention, 64 memory tokens), `StableAudio3DurationEmbedder()` defaults. Text encoder T5Gemma b-b's "
        "encoder, assumed: hidden 768, 12 layers, 12 heads (12 kv), head_dim 64, intermediate 2048, vocab 256000. "
        "VAE: **SAME-L** (`AutoencoderSAME(encoder_channels=256, encoder_transformer_depths=(12,), "
        "decoder_sinusoidal_blocks=(8,))`, 852 M), which the class's own documentation names as SA3 Medium's; the "
        "class defaults are SAME-S (108 M, the SA3 small models'), timed too as an extra row outside the total.",
        "- Tokens: `small_tokenizer()` (a word a token), fed realistic counts: ACE-Step's formatted caption "
        f"{CAPTION_TOKENS} tokens, its lyrics {LYRIC_TOKENS}; SA3 pads every caption to 256. ACE-Step's timbre "
        "encoder always reads 30 s of the silence latent (no reference audio), as the pipeline does.",
        "- Random-weight timings equal trained-weight timings for dense fp32/bf16 kernels (no sparsity, no early "
        "exit in these models). The SAME decoder's zero-initialised output projections were given small random "
        "values; that changes no cost.",
        "- The machine (2 cores) was shared with other work while this ran: each component's note gives the cores "
        f"other processes kept busy while it was timed (at most {busiest[0]:.2f}, {busiest[1]}, {busiest[2]}).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--repeats", type=int, default=3, help="DiT steps timed (the median is kept)")
    parser.add_argument(
        "--xl-layers", type=int, default=None, help="layers of the XL DiT built (default: 4 on CPU, all 32 on CUDA)"
    )
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (torch.set_num_threads)")
    parser.add_argument(
        "--full-pipeline", action="store_true", help="also time the real pipeline call, 8 steps (always on CUDA)"
    )
    parser.add_argument(
        "--tiny", action="store_true", help="smoke check with the tiny builders (meaningless figures; no report)"
    )
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.xl_layers is None:
        args.xl_layers = 32 if args.device == "cuda" else 4
    args.full_pipeline = args.full_pipeline or args.device == "cuda"
    if args.child:
        return child(args)

    import diffusers
    import torch
    import transformers

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines {sorted(unknown)}; known: {', '.join(ENGINES)}")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device here")
    if args.device == "cuda":
        device_name = torch.cuda.get_device_name(0)
    else:
        cpu = platform.processor() or platform.machine()
        with contextlib.suppress(OSError, AttributeError):
            cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
        device_name = f"{cpu}, {os.cpu_count()} cores"
    versions = {
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
    }
    results = []
    for engine in engines:
        print(f"{engine}: building and timing ...", flush=True)
        result = run_child(engine, args)
        result["versions"] = versions
        results.append(result)
        for r in result["rows"]:
            print(f"  {r['component']:<40} {r['s']:9.3f} s  {r['params_m']:8.0f} M  {r['rss_gb']:6.2f} GB", flush=True)
        t = summary(result, args.seconds)
        print(
            f"  total {t['total_s']:.1f} s for {args.seconds:g} s (rtf {t['rtf']:.2f}), peak RSS {t['peak_gb']:.2f} "
            f"GB, built in {result['build_s']:.0f} s, process {result['wall_s']:.0f} s",
            flush=True,
        )
    if not args.tiny or args.out != DEFAULT_OUT:  # the tiny smoke check writes only where told to
        out = ROOT / args.out if not Path(args.out).is_absolute() else Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown(results, args, device_name))
        print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    rtfs = " ".join(f"{r['engine'].replace('-', '_')}_rtf={summary(r, args.seconds)['rtf']:.2f}" for r in results)
    print(f"{rtfs} device={device_name.replace(' ', '_')}")


if __name__ == "__main__":
    main()
