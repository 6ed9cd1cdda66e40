"""Model cards: the README.md beside each shipped checkpoint (data, licence, command, training
time, evaluation figures)."""

from __future__ import annotations

from pathlib import Path

DATA = {
    "oneills": "O'Neill's Music of Ireland (1903, public domain; transcriptions by Norbert Paap, "
    "distributed with the music21 corpus by permission)",
    "ryans": "Ryan's Mammoth Collection (1883, public domain; contributed transcriptions in the music21 corpus)",
    "chorales": "J. S. Bach's four-part chorales (public domain; encodings of the music21 corpus)",
    "midi": "MIDI files of your own (--midi-folder): check their licence before sharing these weights",
    "essen": "the Essen folksong collection (NON-COMMERCIAL use only: such weights must not be shipped)",
}
METRICS = {
    "pch_js": "pitch-class histogram JS divergence to held-out melodies (lower is closer)",
    "density_w1": "note-density Wasserstein distance to held-out bars (lower is closer)",
    "in_key": "share of melody notes in the key (key-aware decoding, as the app plays it)",
    "in_key_model_alone": "share of melody notes in the key, the model's own choices (no key-aware decoding)",
    "groove": "groove consistency between bars",
    "diversity": "1 - note overlap of two seeds' melodies for one plan",
    "seconds_per_30s": "seconds to write a 30 s score on a 2-core CPU (median)",
    "bass_chord": "share of bass notes on a tone of the bar's chord",
    "bass_key": "share of bass notes in the key",
    "bass_step": "mean step of the bass line (semitones)",
    "chords_chord": "share of the chords part's notes on a tone of the bar's chord",
    "chords_key": "share of the chords part's notes in the key",
}


ABOUT = {
    "transformer": "A decoder-only Transformer (rotary positions, tied embeddings, KV-cached sampling) over mmgen's "
    "lead-sheet tokens (miditok REMI notes of the melody plus key, style, tempo, chord and density "
    "tokens; mmgen/symbolic/tokenizer.py). It writes the chords and the melody; the composer "
    "arranges them.",
    "lstm": "A stacked LSTM with causal self-attention over its outputs, on the same lead-sheet tokens as the "
    "Transformer. It writes the chords and the melody; the composer arranges them.",
    "vae": "A beta-VAE over 4-bar melody grids (16th-note steps, one event per step: a key-relative pitch, hold or "
    "rest; mmgen/symbolic/grid.py), conditioned per bar on mode, meter, chord and note density; encoder and "
    "decoder are gated dilated convolutions that see the whole phrase, and the decoder writes every step at "
    "once. It writes the melody over the composer's chords; two seeds' latents can be "
    "blended along a piece.",
    "gan": "A conditional Wasserstein GAN with gradient penalty over 4-bar multi-track rolls, as MuseGAN: four "
    "event lines on the same 16th-note grid as the VAE's (the melody, two inner voices = the chords track, "
    "the bass; each a key-relative pitch, hold or rest per step) and a drum roll (kick, snare, closed and "
    "open hat, tom, cymbal), conditioned per bar on mode, meter, chord and density and on which tracks to "
    "write. A gated dilated convolutional generator writes all tracks at once; a strided convolutional "
    "critic (not shipped) judges them together. Over the composer's chords it writes the melody, the bass "
    "and the chords part's voices (and the drums, when trained on MIDI files with drums); the composer "
    "plays the pad and whatever the model has no data for.",
    "diffusion": "A denoising diffusion model over the same 4-bar melody grids (one-hot events scaled to -1..1; a "
    "gated dilated convolutional denoiser, as in DiffWave, with diffusers' timestep embedding, that predicts the "
    "clean grid's classes), trained with diffusers' DDPM scheduler "
    "and sampled with DPM-Solver++ in 20 steps. It writes the melody over the composer's chords.",
}
HELD_OUT = {  # training record key -> what it is
    "held_out_nll": "held-out negative log-likelihood: {:.3f} nats per token",
    "held_out_nll_bound": "held-out negative ELBO (an upper bound of the NLL): {:.3f} nats per grid step",
    "held_out_denoising_ce": "held-out denoising cross-entropy (clean grid from noise, nats per step, "
    "averaged over noise levels): {:.3f}",
    "held_out_wasserstein": "critic's Wasserstein estimate, held-out vs generated phrases: {:.3f}",
}


def _threads(info: dict) -> str:
    threads = info.get("torch_threads")
    return "" if threads is None else f", {threads} torch thread{'s' if threads > 1 else ''}"


def _tuning_lines(info: dict) -> list[str]:
    """What a personal checkpoint was made from: fine-tuning (--init-from) or DPO."""
    lines = []
    if "init_from" in info:
        lines += ["", f"Fine-tuned from the weights in {info['init_from']} (--init-from, learning rate {info['lr']})."]
        if "best_step" in info:
            lines[-1] += (
                f" Early stopping on the held-out pieces: the best weights, kept, were at step {info['best_step']}"
                f" of the {info['stopped_at_step']} run."
            )
    if "dpo" in info:
        dpo = info["dpo"]
        lines += [
            "",
            f"Tuned by DPO (beta {dpo['beta']}) on {dpo['pairs']} pairs of rated takes from {dpo['source']}, "
            f"starting from {dpo['reference']} (python -m mmgen.training.dpo); the reference weights are unchanged.",
        ]
    return lines


def write_card(folder: Path, info: dict, evaluation: dict | None = None) -> Path:
    family, config = info["family"], info["config"]
    share = "20% of the folder" if "init_from" in info else "5%"
    if "dim" in config:
        size = f"{config['layers']} layers, width {config['dim']}, context {config['context']} tokens"
        data_line = (
            f"{info['train_pieces']} pieces for training, {info['held_out_pieces']} held out ({share}, chosen by "
            "a hash of the title). Every training window is transposed by a random interval (the key token "
            "moves with it)."
        )
    else:
        size = f"hidden width {config['hidden']}, latent {config['latent']}"
        data_line = (
            f"{info['train_phrases']} 4-bar phrases (hop 2 bars) for training, {info['held_out_phrases']} "
            f"from the held-out pieces ({share}, chosen by a hash of the title). Melodies are read relative to "
            "their key, so each phrase serves every key: the grid's form of transposition."
        )
        if family == "gan":
            tracks = info.get("tracks", ["melody"])
            data_line += (
                f" Tracks learned: {', '.join(tracks)}. Only some pieces have more than a melody (the "
                "chorales: chords and bass; MIDI files: what they hold), so those phrases fill half of "
                "every batch."
                + (
                    ""
                    if "drums" in tracks
                    else " No drums: none of the public-domain collections has any; the composer's grooves play them."
                )
            )
    lines = [
        f"# symbolic-{family}",
        "",
        ABOUT[family],
        "",
        f"- Size: {info['parameters'] / 1e6:.2f}M parameters ({size}), stored in float16.",
        "",
        "## Data",
        "",
        *[f"- {DATA.get(c, c)}" for c in info["collections"]],
        "",
        data_line,
        "",
        "## Training",
        "",
        f"    python -m mmgen.training.{family} --steps {info['steps']} --batch {info['batch']} --lr {info['lr']} "
        f"--seed {info['seed']}" + (f" --hidden {config['hidden']}" if "hidden" in config else ""),
        "",
        f"{info['steps']} steps in {info['train_minutes']} minutes on a 2-core CPU{_threads(info)} (resumable with "
        "--resume).",
        *_tuning_lines(info),
        "",
        "## Evaluation",
        "",
        *[f"- {text.format(info[key])}" for key, text in HELD_OUT.items() if key in info],
    ]
    if evaluation:
        lines += [f"- {METRICS[k]}: {evaluation[k]:.3f}" for k in METRICS if k in evaluation]
        lines += ["", "(from `python -m mmgen.eval.symbolic`; the README compares every embedded decoder.)"]
    path = folder / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
