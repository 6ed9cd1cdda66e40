"""MusicGen decoding speed: transformers' stock `generate` against mmgen's loop, same run.

Builds a model of exactly musicgen-small's size (the real config, benchmarks/reference/) with
random weights, and generates the same request both ways: guidance 3, top-k 250. EnCodec decoding
is left out of both timings (it is the codec's step, not the loop's).

  speedup_vs_stock        the path the app uses on this device: CUDA -> bf16 + CUDA graph;
                          CPU -> int8 weight-only (dynamic) linear layers, fp32 elsewhere
  exact_speedup_vs_stock  mmgen's loop at the stock model's precision; its greedy tokens must
                          equal stock's (checked and printed)

    python benchmarks/transformer_decode.py [--seconds 10] [--device cuda|cpu]

The last line is: speedup_vs_stock=<r> exact_speedup_vs_stock=<r> mmgen_steps_per_s=<n>
stock_steps_per_s=<n> device=<name>
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmgen.decoders.musicgen.debug import build_model, musicgen_small_config
from mmgen.decoders.musicgen.loop import DecodeLoop, SamplingConfig, encode_text
from mmgen.decoders.musicgen.quantize import quantize_for_cpu

FRAME_RATE = 50


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def stock_codes(model, ids, mask, frames, greedy, guidance=3.0):
    """Run transformers' generate; capture the codes it hands to EnCodec instead of decoding."""
    captured = {}

    def capture(codes, *args, **kwargs):
        captured["codes"] = codes[0].clone()
        return SimpleNamespace(audio_values=torch.zeros(1))

    original, model.audio_encoder.decode = model.audio_encoder.decode, capture
    try:
        with torch.inference_mode():
            model.generate(
                input_ids=ids,
                attention_mask=mask,
                do_sample=not greedy,
                top_k=250,
                guidance_scale=guidance,
                max_new_tokens=frames + model.decoder.num_codebooks - 1,
            )
    finally:
        model.audio_encoder.decode = original
    return captured["codes"]


def mmgen_codes(model, ids, mask, frames, greedy, use_graph=None, guidance=3.0):
    loop = DecodeLoop(
        model,
        batch=ids.shape[0],
        max_positions=frames + model.decoder.num_codebooks,
        guidance=guidance > 1,
        use_cuda_graph=use_graph,
    )
    loop.set_condition(encode_text(model, ids, mask), mask)
    grid = loop.generate(SamplingConfig(greedy=greedy, top_k=250, guidance_scale=guidance))
    return loop.undelay(grid)


def timed(fn, device, repeats=1):
    fn()  # warm-up (kernels, graph capture, allocator)
    sync(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--check-frames", type=int, default=40, help="length of the greedy equality check")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    frames = int(args.seconds * FRAME_RATE)
    steps = frames + 3  # positions decoded after the start token (delay pattern adds K - 1)

    model = build_model(musicgen_small_config(), seed=0).to(device)
    if device.type == "cuda":
        model = model.to(torch.bfloat16)
    ids = torch.randint(2, 30000, (1, 12), device=device)
    mask = torch.ones_like(ids)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(
        f"musicgen-small size, random weights, {args.seconds:g} s = {frames} frames, {name}, "
        f"{next(model.parameters()).dtype}",
        flush=True,
    )

    # Exactness: greedy tokens of mmgen's loop (no quantisation) against stock, with guidance.
    reference = stock_codes(model, ids, mask, args.check_frames, greedy=True)
    exact = mmgen_codes(model, ids, mask, args.check_frames, greedy=True)
    equal = float((reference == exact).float().mean())
    print(f"greedy tokens equal to stock: {equal:.4f} of {reference.numel()}", flush=True)

    repeats = 2 if device.type == "cuda" else 1
    stock_s = timed(lambda: stock_codes(model, ids, mask, frames, greedy=False), device, repeats)
    print(f"stock generate: {stock_s:.2f} s ({steps / stock_s:.1f} steps/s)", flush=True)
    exact_s = timed(lambda: mmgen_codes(model, ids, mask, frames, greedy=False), device, repeats)
    print(f"mmgen loop, same precision: {exact_s:.2f} s ({steps / exact_s:.1f} steps/s)", flush=True)

    if device.type == "cuda":
        app_s, agreement = exact_s, 1.0
    else:
        quantized = quantize_for_cpu(model)
        app_s = timed(lambda: mmgen_codes(quantized, ids, mask, frames, greedy=False), device, repeats)
        q_tokens = mmgen_codes(quantized, ids, mask, args.check_frames, greedy=True)
        agreement = float((q_tokens == exact).float().mean())
        print(
            f"mmgen loop, int8 linear layers: {app_s:.2f} s ({steps / app_s:.1f} steps/s); greedy "
            f"agreement with full precision {agreement:.3f} (random weights: a sanity check only)",
            flush=True,
        )
    print(f"real-time factor of the app path: {args.seconds / app_s:.2f}x")
    print(
        f"speedup_vs_stock={stock_s / app_s:.2f} exact_speedup_vs_stock={stock_s / exact_s:.2f} "
        f"mmgen_steps_per_s={steps / app_s:.1f} stock_steps_per_s={steps / stock_s:.1f} device={name.replace(' ', '_')}"
    )


if __name__ == "__main__":
    main()
