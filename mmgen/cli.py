"""Command line: `python -m mmgen generate ...`, `edit`, `conform`, `check`, `batch MANIFEST` and `decoders`.

Errors print one plain line to stderr and exit with status 2; nothing is written on failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import InvalidRequest, MmgenError

EXIT_USAGE = 2


def _invocation() -> str:
    """How the user ran mmgen: the installed `mmgen` command, or `python -m mmgen` in a checkout."""
    return "mmgen" if Path(sys.argv[0]).stem == "mmgen" else "python -m mmgen"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        command = " ".join(self.prog.split()[1:])  # "generate" for a subcommand's parser, "" for the top one
        print(f"mmgen: {message} (see {_invocation()} {command + ' ' if command else ''}--help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mmgen", description="Finished music for your videos, from a description.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    gen = sub.add_parser(
        "generate",
        help="make a track",
        description=("Make a track. The plan (tempo, key, form) is printed; --report saves everything as JSON."),
    )
    gen.add_argument("--prompt", default="", help='what the music should be, e.g. "lofi beat for a cooking video"')
    gen.add_argument(
        "--duration", type=float, metavar="SECONDS", help="exact length, 5 to 600 (with --video: the video's length)"
    )
    gen.add_argument("--bpm", type=float, help="tempo override, 30 to 300")
    gen.add_argument("--key", help='key override, e.g. "D minor", "Bb major", "F#m"')
    gen.add_argument("--meter", help="time signature override: 2/4 3/4 4/4 5/4 6/8 12/8")
    gen.add_argument("--seed", type=int, help="same seed, same music (random when omitted)")
    gen.add_argument("--decoder", default="composer", help="see: python -m mmgen decoders")
    gen.add_argument("--loudness", type=float, default=-14.0, metavar="LUFS", help="loudness target (default -14)")
    gen.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output: .wav .mp3 .flac .ogg, .mid for the score, .ecdc for EnCodec 24/48 kHz tokens, "
        ".mp4 for the --video with the music as its sound",
    )
    gen.add_argument("--report", metavar="FILE.json", help="also save the JSON report")
    gen.add_argument(
        "--continue",
        dest="continue_audio",
        metavar="AUDIO",
        help="start with this clip (1-20 s) and continue it (MusicGen engines)",
    )
    gen.add_argument(
        "--melody",
        dest="melody_audio",
        metavar="AUDIO",
        help="follow the melody of this clip (1-30 s; musicgen-melody engines)",
    )
    media = gen.add_argument_group("pictures, lyrics and video")
    media.add_argument(
        "--lyrics",
        metavar="TEXT_OR_FILE",
        help="song lyrics, or a text file of them ([Verse], [Chorus] tags or blank lines between "
        "sections); the length then follows the song unless --duration is given",
    )
    media.add_argument(
        "--vocals",
        default="none",
        choices=("none", "bark-small", "bark", "ace-step"),
        help="sing the lyrics with Bark, or ACE-Step over the accompaniment (needs their weights; "
        "see: python -m mmgen decoders)",
    )
    media.add_argument(
        "--vocals-codec",
        default="encodec",
        choices=("encodec", "vocos"),
        help="what turns the singer's tokens into audio: encodec (Bark's own decoder, default) or vocos "
        "(a GAN-trained vocoder; needs its weights)",
    )
    media.add_argument("--image", dest="image_path", metavar="PATH", help="a picture the music should fit")
    media.add_argument(
        "--video",
        dest="video_path",
        metavar="PATH",
        help="a video to score: the music is exactly as long, with its cuts on the beat",
    )
    media.add_argument(
        "--cuts",
        metavar="TIMES",
        help='times in seconds the music should mark, e.g. "3.2,7.9" (with --video: instead of the cuts found)',
    )
    media.add_argument(
        "--video-audio",
        default="auto",
        choices=("auto", "music", "mix", "duck"),
        help="the video's own sound in the .mp4: auto (duck the music under speech, else drop "
        "it), music (drop it), mix (keep it quietly under), duck (keep it in front)",
    )
    gen.add_argument(
        "--variations",
        type=int,
        default=1,
        metavar="N",
        help="1-4 takes, seeds seed..seed+N-1; files are named NAME-1.wav, NAME-2.wav, ...",
    )
    gen.add_argument(
        "--sound",
        choices=("produced", "general-midi"),
        default="produced",
        help="score engines: produced (synths, drum machines, effects and a mix, the default) or "
        "general-midi (the SoundFont alone, dry)",
    )
    gen.add_argument(
        "--stems",
        metavar="FOLDER",
        help="also save each part of a produced track in FOLDER: ROLE.wav (with its own reverb; they sum to "
        "the track) and ROLE.mid (its notes)",
    )
    gen.add_argument(
        "--loop",
        action="store_true",
        help="score engines: a seamless loop of whole bars (no ending; .wav and .ogg carry the loop points)",
    )
    gen.add_argument(
        "--game-kit",
        metavar="KIT.zip",
        help="also save a game kit (implies --loop): calm, medium and intense layers with their stems, the "
        "sections as segments with entry and exit cues, a hit and a rise stinger, and manifest.json",
    )
    gen.add_argument(
        "--weights",
        default="shipped",
        metavar="NAME",
        help="'shipped' (default) or your own weights: the learned engines' tuned by python -m mmgen.training.dpo "
        "or fine-tuned with --init-from shipped; a MusicGen or ACE-Step LoRA (python -m mmgen.training.lora)",
    )
    gen.add_argument(
        "--blend-seed",
        type=int,
        metavar="SEED",
        help="with --decoder symbolic-vae: the melody moves from --seed's towards this seed's",
    )
    gen.add_argument(
        "--restyle",
        default="none",
        metavar="ENGINE",
        help="re-make the composed track with a diffusion engine's sound (ace-step, stable-audio-3): "
        "its timing, sections, cuts and ending carry over",
    )
    gen.add_argument(
        "--restyle-keep",
        type=float,
        default=0.6,
        metavar="0.1-1",
        help="with --restyle: how closely the new sound follows the composed track (default 0.6)",
    )
    neural = gen.add_argument_group("sampling (neural decoders such as musicgen)")
    neural.add_argument("--top-k", type=int, default=250)
    neural.add_argument("--top-p", type=float, default=0.0)
    neural.add_argument("--temperature", type=float, default=1.0)
    neural.add_argument("--guidance", type=float, default=3.0, help="classifier-free guidance scale")
    neural.add_argument(
        "--fix-key",
        choices=("auto", "on", "off"),
        default="auto",
        help="bring the engine's key to the plan's: auto (1 semitone, when the key is clear), on (up to 2), off",
    )
    gen.add_argument(
        "--reference",
        metavar="DIR",
        help="audio engines: compare each take with the recordings in DIR (your catalogue) for originality",
    )
    gen.add_argument("--quiet", action="store_true", help="print nothing but errors")
    edit = sub.add_parser(
        "edit",
        help="redo a part of a track, make it longer, or split it into stems",
        description="Edit a finished track (yours or one mmgen made) with a diffusion engine. Outside "
        "the part you change, every sample stays as it was.",
    )
    edit.add_argument("--in", dest="source", required=True, metavar="AUDIO", help="the track: .wav .flac .mp3 .ogg")
    what = edit.add_mutually_exclusive_group(required=True)
    what.add_argument("--redo", nargs=2, type=float, metavar=("START", "END"), help="make START..END s anew")
    what.add_argument("--longer", type=float, metavar="SECONDS", help="continue the track to exactly this length")
    what.add_argument("--stems", metavar="FOLDER", help="split into vocals, drums, bass and other (WAVs in FOLDER)")
    edit.add_argument("--out", metavar="FILE", help="the edited track (.wav .mp3 .flac); needed with --redo/--longer")
    edit.add_argument("--engine", default="ace-step", help="the diffusion engine (default ace-step)")
    edit.add_argument("--prompt", default="", help="what the music is, for the engine (optional)")
    edit.add_argument("--seed", type=int, help="same seed, same edit (random when omitted)")
    fit = sub.add_parser(
        "conform",
        help="fit a track you have to your edit: on the beat, cuts on beats, ending on the last frame",
        description="Bend a track (stock music, your own song) onto a steady beat at its own tempo (or "
        "--bpm), with the cuts of your edit on beats, ending on a downbeat that rings out at exactly the "
        "asked length.",
    )
    fit.add_argument("source", metavar="IN", help="the track: .wav .flac .mp3 .ogg")
    fit.add_argument("--out", required=True, metavar="FILE", help=".wav .mp3 .flac, or .mp4 with --video")
    fit.add_argument("--bpm", type=float, help="the tempo to put it on (default: its own)")
    fit.add_argument("--cuts", dest="cuts_s", metavar="TIMES", help='times in seconds to put on beats, e.g. "3.2,7.9"')
    fit.add_argument("--video", metavar="VIDEO", help="an edit: its length and cuts (its cuts unless --cuts)")
    fit.add_argument("--duration", type=float, metavar="SECONDS", help="the exact length (default: the track's own)")
    fit.add_argument("--report", metavar="FILE.json", help="also write what was measured and done")
    check = sub.add_parser(
        "check",
        help="is a score or recording original? the same check every take gets",
        description="Check a MIDI file against the tunes mmgen's models learned from (and the folders you "
        "trained on), or a recording against a folder of reference audio. Exits 0 with the verdict: "
        "original, similar or copy.",
    )
    check.add_argument("file", metavar="FILE", help="a score (.mid .midi) or a recording (.wav .flac .mp3 .ogg)")
    check.add_argument("--library", metavar="DIR", help="a folder of reference audio (needed for a recording)")
    check.add_argument("--json", action="store_true", help="print one JSON object instead of the line")
    batch = sub.add_parser(
        "batch",
        help="make a whole manifest of tracks (CSV or JSON Lines), on this machine or a Ray cluster",
        description="Make one track per row of MANIFEST into --out, on Ray: started on this machine, or "
        "a running cluster with --address. Rows made already are skipped, so running it again resumes. "
        "Exits 1 when rows failed (their lines are in the results), 0 when all are made. Columns: id and the "
        "generate options (prompt, duration, video, image, lyrics, bpm, key, meter, engine, seed, loudness, "
        "formats such as 'wav mp3 mid', stems, loop, game_kit, ...), paths relative to the manifest (docs/batch.md).",
    )
    batch.add_argument("manifest", metavar="MANIFEST", help="a .csv (with a header) or .jsonl file, one request a row")
    batch.add_argument("--out", required=True, metavar="DIR", help="the folder for the tracks, reports and results")
    batch.add_argument(
        "--address", metavar="ADDRESS", help="a running Ray cluster: auto (on one of its nodes) or ray://HOST:10001"
    )
    batch.add_argument("--workers", type=int, metavar="N", help="rows made at once on CPUs (default: every CPU)")
    batch.add_argument(
        "--gpus", type=int, metavar="N", help="GPUs Ray on this machine gives the neural engines (default: all found)"
    )
    batch.add_argument(
        "--results", metavar="FILE", help="the results manifest, .csv or .jsonl (default: DIR/results.csv or .jsonl)"
    )
    batch.add_argument("--quiet", action="store_true", help="no progress bar; only the summary and errors")
    sub.add_parser("decoders", help="list the decoders and whether each can run here")
    return parser


def _numbered(path: str, index: int, count: int) -> Path:
    """NAME.wav -> NAME-2.wav when several takes are written."""
    target = Path(path)
    return target if count == 1 else target.with_name(f"{target.stem}-{index + 1}{target.suffix}")


def _generate(args: argparse.Namespace) -> int:
    from .encoders.lyrics import lyrics_from
    from .gamekit import build_game_kit
    from .pipeline import generate_variations
    from .post.export import OUTPUT_SUFFIXES, check_output_path
    from .request import GenerationRequest

    # Check the inputs and destinations before spending any time on the music.
    if args.duration is None and not args.video_path and not args.lyrics:
        raise InvalidRequest("Give the length with --duration SECONDS (or score a video with --video).")
    lyrics = lyrics_from(args.lyrics) if args.lyrics else None
    if args.out.lower().endswith(".mp4") and not args.video_path:
        raise InvalidRequest("An .mp4 needs a video to put the music under; give one with --video.")
    check_output_path(args.out, OUTPUT_SUFFIXES)
    if args.reference and not Path(args.reference).expanduser().is_dir():
        raise InvalidRequest(f"--reference {args.reference}: no such folder (give a folder of your recordings).")
    if args.report:
        check_output_path(args.report, (".json",))
    if args.stems and args.sound != "produced":
        raise InvalidRequest("--stems needs the produced sound: leave out --sound general-midi.")
    if args.stems and Path(args.stems).exists() and not Path(args.stems).is_dir():
        raise InvalidRequest(f"{args.stems} is a file, not a folder for the stems.")
    if args.game_kit:
        if args.sound != "produced":
            raise InvalidRequest("--game-kit needs the produced sound: leave out --sound general-midi.")
        check_output_path(args.game_kit, (".zip",))
    request = GenerationRequest(
        prompt=args.prompt,
        duration_s=args.duration,
        tempo_bpm=args.bpm,
        lyrics=lyrics,
        key=args.key,
        meter=args.meter,
        seed=args.seed,
        decoder=args.decoder,
        loudness_lufs=args.loudness,
        variations=args.variations,
        top_k=args.top_k,
        top_p=args.top_p,
        temperature=args.temperature,
        guidance_scale=args.guidance,
        continue_audio=args.continue_audio,
        melody_audio=args.melody_audio,
        image_path=args.image_path,
        video_path=args.video_path,
        cuts_s=args.cuts,
        video_audio=args.video_audio,
        vocals=args.vocals,
        vocals_codec=args.vocals_codec,
        sound=args.sound,
        blend_seed=args.blend_seed,
        restyle=args.restyle,
        fix_key=args.fix_key,
        restyle_keep=args.restyle_keep,
        loop=args.loop or bool(args.game_kit),
        weights=args.weights,
    )
    tracks = generate_variations(request)
    kits = [build_game_kit(track) for track in tracks] if args.game_kit else []  # before any file is written
    if args.stems and not tracks[0].audio.stems:
        raise InvalidRequest("--stems needs a score engine (such as the composer) and the produced sound.")
    for i, track in enumerate(tracks):
        if args.reference and getattr(track.tokens, "kind", "") != "score":  # score takes: checked already
            from .originality.takes import check_audio_take

            track.details["originality"] = check_audio_take(track, args.reference)
        if args.stems:
            track.save_stems(_numbered(args.stems, i, len(tracks)))
        kit = kits[i].save(_numbered(args.game_kit, i, len(tracks))) if kits else None
        written = track.save(_numbered(args.out, i, len(tracks)))
        if args.report:
            track.save_report(_numbered(args.report, i, len(tracks)))
        if not args.quiet:
            plan = track.plan
            print(
                f"{written}  ({track.audio.duration_s:.2f} s, {track.mastering.loudness_lufs:.1f} LUFS, "
                f"seed {track.request.seed})"
            )
            print(
                f"  {plan.style_label}, {plan.tempo_bpm:.1f} BPM, {plan.key.name}, {plan.meter.name}: "
                + " → ".join(f"{s.name}({s.bars})" for s in plan.sections)
                + (f", looping seamlessly ({plan.total_bars} bars)" if plan.loop else "")
            )
            print(f"  Licence: {_licence_line(track)}")
            originality = track.details.get("originality")
            if originality:
                print(f"  Originality: {originality['line']}")
                if originality.get("warning"):
                    print(f"  Warning: {originality['warning']}", file=sys.stderr)
            if kit:
                print(f"{kit}  (game kit: {kits[i].summary()})")
    return 0


def _edit(args: argparse.Namespace) -> int:
    from . import edit
    from .post.export import OUTPUT_SUFFIXES, check_output_path

    if args.stems is None:
        if not args.out:
            raise InvalidRequest("Give the edited track's file with --out FILE.wav.")
        check_output_path(args.out, tuple(s for s in OUTPUT_SUFFIXES if s in (".wav", ".mp3", ".flac")))
    elif Path(args.stems).exists() and not Path(args.stems).is_dir():
        raise InvalidRequest(f"{args.stems} is a file, not a folder for the stems.")
    track = edit.track_from_file(args.source, args.prompt)
    if args.stems is not None:
        written = edit.save_stems(edit.split_stems(track, args.engine, args.seed), args.stems)
        print("\n".join(str(path) for path in written))
        return 0
    if args.redo:
        edited = edit.redo_part(track, *args.redo, engine=args.engine, seed=args.seed)
    else:
        edited = edit.make_longer(track, args.longer, engine=args.engine, seed=args.seed)
    print(f"{edited.save(args.out)}  ({edited.audio.duration_s:.2f} s, seed {edited.details['edits'][-1]['seed']})")
    print(f"  Licence: {_licence_line(edited)}")
    return 0


def _conform(args: argparse.Namespace) -> int:
    from .fit import fit_track
    from .post.export import OUTPUT_SUFFIXES, check_output_path

    if args.out.lower().endswith(".mp4") and not args.video:
        raise InvalidRequest("An .mp4 needs a video to put the music under; give one with --video.")
    check_output_path(args.out, tuple(s for s in OUTPUT_SUFFIXES if s in (".wav", ".mp3", ".flac", ".mp4")))
    if args.report:
        check_output_path(args.report, (".json",))
    track = fit_track(args.source, bpm=args.bpm, cuts_s=args.cuts_s, video=args.video, duration_s=args.duration)
    written = track.save(args.out)
    if args.report:
        track.save_report(args.report)
    done = track.details["conformed"]
    before, after = done["before"], done["after"]
    print(f"{written}  ({track.audio.duration_s:.2f} s, {track.plan.tempo_bpm:.1f} BPM)")
    print(
        f"  beats off the grid (90 %): {before['beat_to_grid_ms']['p90']} ms before, "
        f"{after['beat_to_grid_ms']['p90']} ms after; ends on a downbeat at {done['ends_at_s']:.2f} s"
    )
    if after["cut_to_beat_ms"]:
        print("  cuts to the nearest beat (ms): " + ", ".join(str(d) for d in after["cut_to_beat_ms"]))
    for note in done["notes"]:
        print(f"  {note}")
    return 0


def _check(args: argparse.Namespace) -> int:
    import json

    from .originality.report import check_file

    result = check_file(args.file, args.library)
    print(json.dumps(result, ensure_ascii=False) if args.json else result["line"])
    return 0


MAX_FAILURES_SHOWN = 20


def _batch(args: argparse.Namespace) -> int:
    from .batch import run

    summary = run(
        args.manifest,
        args.out,
        address=args.address,
        workers=args.workers,
        results=args.results,
        progress=not args.quiet,
        gpus=args.gpus,
    )
    print(summary.line())
    failures = summary.failures
    for row in failures[:MAX_FAILURES_SHOWN]:
        print(f"  line {row['line']} ({row['id']}): {row.get('error') or row['status']}", file=sys.stderr)
    if len(failures) > MAX_FAILURES_SHOWN:
        print(f"  ... and {len(failures) - MAX_FAILURES_SHOWN} more (see the results)", file=sys.stderr)
    if failures:
        print(f"mmgen: {len(failures)} of {len(summary.rows)} rows failed; the others are made.", file=sys.stderr)
        return 1
    return 0


def _licence_line(track) -> str:
    """What the track may be used for, each engine's licence in plain words (post/provenance.py)."""
    from .post.provenance import licence_line

    return licence_line(track)


def _decoders() -> int:
    from . import available_decoders, registry
    from .request import VOCALS_CODECS

    for row in available_decoders():
        state = "available" if row["available"] else f"unavailable: {row['reason']}"
        print(f"{row['name']:<24} {state}\n    {row['description']}")
        if row["licence"]:
            print(f"    Licence: {row['licence']}")
    for title, entries in (
        ("sung vocals (--vocals, with --lyrics)", registry.entries("singer")),
        ("their codec (--vocals-codec)", [e for e in registry.entries("codec") if e.name in VOCALS_CODECS]),
    ):
        print(f"\n{title}:")
        for entry in entries:
            status = entry.check()
            state = "available" if status.ok else f"unavailable: {status.reason}"
            print(f"{entry.name:<24} {state}\n    {entry.description}")
            if entry.licence:
                print(f"    Licence: {entry.licence.text}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {"generate": _generate, "edit": _edit, "conform": _conform, "check": _check, "batch": _batch}
        return commands.get(args.command, lambda _: _decoders())(args)
    except MmgenError as error:
        print(f"mmgen: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        again = " Run the same command again to finish the rest." if args.command == "batch" else ""
        print(f"mmgen: stopped.{again}", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, not a user mistake: still one line (MMGEN_DEBUG=1 for the trace)
        if os.environ.get("MMGEN_DEBUG"):
            raise
        print(
            f"mmgen: something went wrong inside mmgen ({type(error).__name__}: {error}). "
            "Run again with MMGEN_DEBUG=1 to see the details.",
            file=sys.stderr,
        )
        return 1
