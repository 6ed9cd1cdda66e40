"""RLHF with a simulated rater: DPO of the shipped symbolic Transformer and LSTM on a scripted
preference (stepwise melodies, mmgen/eval/preference.py), judged on plans and seeds no pair came
from, and what it costs in fidelity (the held-out corpus NLL before and after).

Training pairs: `--plans` plans (prompts, keys, meters and lengths drawn from the lists below),
`--takes` seeds each from the shipped model; in each plan the rater's 2 best takes are each paired
against its 2 worst. Evaluation: `--eval-plans` other plans (other prompts and keys), 4 seeds from
1000 up, one take from the shipped and one from the tuned weights per plan and seed (the same
seed, so the same random stream); the rater picks the one it prefers (ties half).

    python benchmarks/preference.py [--families transformer,lstm] [--plans 32] [--takes 6]

Last line: win_rate=<DPO vs shipped, by the held-out rater> nll_before=<x> nll_after=<y>
(the Transformer's, the first family).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

TRAIN_PROMPTS = ("a folk tune for a travel vlog", "a gentle chorale", "an Irish jig", "a country song", "a hymn")
EVAL_PROMPTS = ("a celtic dance", "a calm piano piece", "a kids' song", "a waltz for a wedding video")
KEYS = ("C major", "G major", "D major", "A minor", "E minor", "D minor", "F major", "Bb major")
METERS = ("4/4", "3/4", "6/8")


def plans(prompts, count: int, offset: int):
    from mmgen.pipeline import make_plan
    from mmgen.request import GenerationRequest

    return [
        make_plan(
            GenerationRequest(
                prompt=prompts[i % len(prompts)],
                key=KEYS[(i * 3 + offset) % len(KEYS)],
                meter=METERS[i % len(METERS)],
                duration_s=12 + 4 * (i % 3),
                seed=i,
            )
        )
        for i in range(count)
    ]


def held_out_sequences():
    from mmgen.symbolic.dataset import split_sequences
    from mmgen.symbolic.tokenizer import LeadSheetTokenizer
    from mmgen.training import corpus

    return split_sequences(LeadSheetTokenizer(), corpus.load())[1]


def nll(folder: Path, sequences) -> float:
    from mmgen.symbolic.models import SequenceConfig, build_model
    from mmgen.symbolic.tokenizer import LeadSheetTokenizer
    from mmgen.training.runs import read_checkpoint
    from mmgen.training.sequence import held_out_nll

    info, weights = read_checkpoint(folder)
    config = SequenceConfig(**info["config"])
    model = build_model(config)
    model.load_state_dict(weights)
    return held_out_nll(model, LeadSheetTokenizer(), sequences, config.context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", default="transformer,lstm")
    parser.add_argument("--plans", type=int, default=32)
    parser.add_argument("--takes", type=int, default=6)
    parser.add_argument("--eval-plans", type=int, default=24)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--beta", type=float, default=0.1)
    parser.add_argument("--sft", type=float, default=0.1, help="weight of the chosen takes' own likelihood")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["MMGEN_DATA_DIR"] = tempfile.mkdtemp(prefix="mmgen-preference-")  # the tuned weights go here
    from mmgen import registry
    from mmgen.checkpoints import model_dir, personal_dir
    from mmgen.eval.preference import rater_pairs, stepwise, takes, win_rate
    from mmgen.training.dpo import tune

    train_plans = plans(TRAIN_PROMPTS, args.plans, 0)
    eval_plans = plans(EVAL_PROMPTS, args.eval_plans, 1)
    eval_seeds = range(1000, 1004)
    sequences = held_out_sequences()
    print(
        f"rater: stepwise melodies (share of moves of at most 2 semitones); {len(train_plans)} training plans x "
        f"{args.takes} takes, {len(eval_plans)} held-out plans x {len(eval_seeds)} seeds; DPO beta {args.beta}, "
        f"sft {args.sft}, lr {args.lr}, {args.steps} steps; NLL on {len(sequences)} held-out corpus pieces"
    )
    figures = []
    for family in args.families.split(","):
        decoder = registry.get("decoder", f"symbolic-{family}")
        started = time.perf_counter()
        pairs = rater_pairs(takes(decoder, train_plans, range(args.takes)))
        sampled_s = time.perf_counter() - started
        out = personal_dir("stepwise", family)
        started = time.perf_counter()
        settings = (args.steps, 8, args.lr, args.beta, args.sft)
        record = tune(family, pairs, model_dir(family), out, *settings, progress=False)
        tuned_s = time.perf_counter() - started
        before = [stepwise(lead) for leads in takes(decoder, eval_plans, eval_seeds) for lead in leads]
        after = [stepwise(lead) for leads in takes(decoder, eval_plans, eval_seeds, "stepwise") for lead in leads]
        rate = win_rate(after, before)
        nll_before, nll_after = nll(model_dir(family), sequences), nll(out, sequences)
        final = record["dpo"]["final"]
        print(
            f"{family}: {len(pairs)} pairs (sampled in {sampled_s:.0f} s), DPO {tuned_s:.0f} s, final pair accuracy "
            f"{final['acc']:.2f} margin {final['margin']:.2f}; held-out stepwise share "
            f"{sum(before) / len(before):.3f} -> {sum(after) / len(after):.3f}; rater's win rate of DPO vs "
            f"shipped {rate:.3f} over {len(after)} paired takes; held-out corpus NLL {nll_before:.4f} -> "
            f"{nll_after:.4f} nats/token"
        )
        figures.append((rate, nll_before, nll_after))
    rate, nll_before, nll_after = figures[0]
    print(f"win_rate={rate:.3f} nll_before={nll_before:.4f} nll_after={nll_after:.4f}")


if __name__ == "__main__":
    main()
