"""The pipeline, in its numbered steps:

1 validate  request             -> GenerationRequest (plain-language errors, nothing written)
2 encode    prompt              -> TextFeatures + explicit cues
3 plan      features + controls -> MusicPlan
4 decode    plan                -> tokens (score or audio codes)
5 render    tokens              -> waveform (the decoder's codec)
  (conform) audio engines' waveform -> on the plan's beats, cuts, key and exact length
6 master    waveform            -> loudness-normalised, peak-safe audio
  (score)   audio + description -> CLAP score, when its weights are present; takes ranked
7 export    (Track.save)        -> wav / mp3 / flac / mid + JSON report
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import components, registry
from .codecs.base import Waveform
from .codecs.encodec import PreviewStream
from .encoders.audio import load_clip
from .encoders.cues import PromptCues, parse_cues
from .encoders.reading import Reading
from .encoders.text import TextFeatures, load_descriptors
from .errors import Cancelled, GenerationFailed, InvalidRequest
from .eval.metrics import score_statistics
from .plan import MusicPlan, build_plan
from .post.conform import conform, engine_duration
from .post.export import OUTPUT_SUFFIXES, check_output_path, export, write_report
from .post.master import MasteringReport, master
from .post.provenance import provenance_fields
from .request import MAX_SEED, GenerationRequest, validate
from .version import __version__

components.register_builtins()

MAX_CONTINUE_S = 20.0  # a clip to continue leaves room in the first 30 s window for new music
MAX_MELODY_S = 30.0  # MusicGen-Melody reads 30 s of chroma per window; shorter melodies loop

# progress(fraction 0..1, stage description)
ProgressFn = Callable[[float, str], None]
STAGES = {
    "validate": (0.0, "Checking the request"),
    "encode": (0.05, "Reading the description"),
    "plan": (0.15, "Planning the music"),
    "decode": (0.25, "Composing"),
    "originality": (0.45, "Checking the melody is original"),
    "render": (0.5, "Rendering the instruments"),
    "master": (0.85, "Mastering"),
    "restyle": (0.6, "Giving it a neural sound"),
    "conform": (0.65, "Putting it on the beat"),
    "vocals": (0.7, "Singing the lyrics"),
    "score": (0.92, "Scoring the takes"),
    "export": (0.95, "Saving files"),
}


@dataclass
class Track:
    """A finished piece: the plan, the tokens, the mastered audio, and how it was made."""

    request: GenerationRequest
    plan: MusicPlan
    tokens: object
    audio: Waveform
    mastering: MasteringReport
    decoder: str
    codec: str
    timings_s: dict[str, float] = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    video: object = None  # the VideoInfo of the video the track was made for
    video_audio: str = "music"  # what its own sound does in the .mp4: music | mix | duck

    def save(self, path: str | Path) -> Path:
        """Write the track (format by suffix: .wav .mp3 .flac .ogg, .mid for the score, .ecdc for
        tokens; a loop's WAV and Ogg files carry its loop points). Audio, MIDI and MP4 files carry
        how it was made: AI-generated, mmgen's version, engine, seed, licence (post/provenance.py)."""
        target = check_output_path(path, OUTPUT_SUFFIXES)
        started = time.perf_counter()
        if target.suffix.lower() == ".mp4":
            from .post.video import mux_track

            written = mux_track(self, target)
        else:
            written = export(target, self.audio, self.tokens, provenance_fields(self))
        self.timings_s["export"] = round(self.timings_s.get("export", 0.0) + time.perf_counter() - started, 4)
        return written

    def save_stems(self, folder: str | Path) -> list[Path]:
        """Each part of a produced track as ROLE.wav in `folder`, with its own reverb and delay,
        mastered as the track was: together they sum to it (post/stems.py). Each part the score
        plays also as ROLE.mid, its notes alone; a sung track adds vocals.wav."""
        from .post.stems import write_stems

        score = self.tokens if getattr(self.tokens, "kind", "") == "score" else None
        return write_stems(self.audio, score, folder, provenance_fields(self))

    def explain(self) -> str:
        """The plan in plain words and, for a produced score, what the studio played (Markdown)."""
        return self.plan.explain(self.details.get("production"))

    def formats(self) -> list[str]:
        """The file suffixes this track can be saved as: audio, plus the score or the tokens."""
        from .codecs.ecdc import supports_ecdc

        kind = getattr(self.tokens, "kind", None)  # None: a track brought to be edited
        extra = [".mid"] if kind == "score" else [".ecdc"] if supports_ecdc(self.tokens) else []
        loop = [".ogg"] if self.audio.loop_points else []  # game engines loop Ogg files by their comments
        return [".wav", ".mp3", ".flac", *loop, *extra, *([".mp4"] if self.video is not None else [])]

    def save_report(self, path: str | Path) -> Path:
        return write_report(self.report(), check_output_path(path, (".json",)))

    def report(self) -> dict:
        return {
            "software": {"name": "mmgen", "version": __version__, "python": platform.python_version()},
            "request": self.request.to_dict(),
            "seed": self.request.seed,
            "decoder": self.decoder,
            "codec": self.codec,
            "plan": self.plan.to_dict(),
            "output": {
                "duration_s": round(self.audio.duration_s, 4),
                "sample_rate_hz": self.audio.sample_rate_hz,
                "channels": self.audio.channels,
                **self.mastering.to_dict(),
            },
            "compute_s": dict(self.timings_s),
            **self.details,
            "provenance": provenance_fields(self),  # what every file of it says of how it was made
        }


class _StepTimer:
    """Times each step, reports it to `progress`, and stops before it if `should_stop()`."""

    def __init__(self, progress: ProgressFn | None, should_stop: Callable[[], bool] | None = None) -> None:
        self.timings: dict[str, float] = {}
        self.progress, self.should_stop = progress, should_stop

    def check(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise Cancelled("Stopped: the generation was cancelled.")

    @contextmanager
    def step(self, name: str):
        self.check()
        if self.progress:
            fraction, label = STAGES[name]
            self.progress(fraction, label)
        started = time.perf_counter()
        try:
            yield
        except Exception as error:
            if not _out_of_memory(error):
                raise
            del error  # drop the traceback's frames (and the tensors they hold) before freeing
            _free_memory()
            raise GenerationFailed(
                "There was not enough memory to make this track. Try a shorter length or fewer takes."
            ) from None
        self.timings[name] = round(time.perf_counter() - started, 4)


def _out_of_memory(error: BaseException) -> bool:
    """A MemoryError, or torch's (CUDA/MPS/CPU) OutOfMemoryError."""
    return isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError"


def _free_memory() -> None:
    import gc

    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def encode_prompt(prompt: str, descriptors: dict) -> tuple[TextFeatures | None, PromptCues]:
    """Step 2: the explicit cues and words of the prompt, and the sentence encoder's reading of it
    (None when empty, or when the words name a style and a mood: then nothing is left for it to
    decide, and a fresh process need not load it). A description not in English is read by the
    multilingual encoder when its weights are here; else the English encoder reads an English
    gloss of the words found in it."""
    cues = parse_cues(prompt, descriptors)
    if not prompt:
        return None, cues
    words = cues.words
    if words and (words.named("styles") or words.named("families")) and words.named("moods"):
        return None, cues  # the words settle style and mood: the encoder would change nothing
    if cues.language == "en":
        return registry.get("encoder", "text").encode(prompt), cues
    if registry.availability("encoder", "text-multilingual").ok:
        return registry.get("encoder", "text-multilingual").encode(prompt), cues
    gloss = cues.words.english_gloss() if cues.words else ""
    if not gloss:
        return None, cues
    features = registry.get("encoder", "text").encode(gloss)
    # A gloss names styles, uses and instruments well, but the moods in it were read already:
    # the encoder's moods of a bare list of words would only add noise.
    features.scores["moods"] = dict.fromkeys(features.scores["moods"], 0.0)
    return features, cues


def encode_media(request: GenerationRequest, descriptors: dict) -> tuple[Reading | None, object]:
    """Step 2 for a picture, a video or lyrics: (its reading, the video's VideoInfo or None)."""
    if request.lyrics:
        from .encoders.lyrics import read_lyrics

        return read_lyrics(request.lyrics, registry.get("encoder", "text"), descriptors), None
    if request.image_path:
        from .encoders.image import read_image

        return read_image(request.image_path, descriptors), None
    if request.video_path:
        from .encoders.video import analyse_video

        analysis = analyse_video(request.video_path, descriptors)
        return analysis.reading, analysis.info
    return None, None


def make_plan(request: GenerationRequest, taste=None) -> MusicPlan:
    """Steps 1-3 only: the plan a request would get (leaned by a user's `taste`, a
    feedback.RewardModel), without composing it."""
    request = validate(request)
    descriptors = load_descriptors()
    features, cues = encode_prompt(request.prompt, descriptors)
    reading, _ = encode_media(request, descriptors)
    return build_plan(request, features, cues, descriptors, request.seed, reading, taste)


def generate(request: GenerationRequest, progress: ProgressFn | None = None) -> Track:
    """Run steps 1-6 for one track (the first take when the request asks for variations).
    Raises MmgenError subclasses with messages meant for the user."""
    return generate_variations(request, progress)[0]


def variation_seeds(seed: int, count: int) -> list[int]:
    """Take i uses seed + i: any take can be remade alone with its own seed."""
    return [(seed + i) % (MAX_SEED + 1) for i in range(count)]


def _conditioning(request: GenerationRequest, decoder) -> dict:
    """Inputs beyond the plan: an audio clip to continue or a melody to follow (checked before
    any work is done)."""
    if request.melody_audio:
        if not getattr(decoder, "follows_melody", False):
            raise InvalidRequest(
                f"The '{request.decoder}' engine cannot follow a melody; choose a "
                "musicgen-melody engine, or use the clip as one to continue."
            )
        return {"melody": load_clip(request.melody_audio, max_s=MAX_MELODY_S)}
    if not request.continue_audio:
        return {}
    if decoder.token_kind != "audio":
        raise InvalidRequest(
            f"The '{request.decoder}' engine cannot continue an audio clip; choose a MusicGen engine "
            "(or make a track longer with mmgen edit --longer)."
        )
    clip = load_clip(
        request.continue_audio, max_s=min(MAX_CONTINUE_S, (request.duration_s or MAX_CONTINUE_S + 1) - 1.0)
    )
    return {"continue": clip}


def _restyler(request: GenerationRequest, decoder):
    """(the diffusion engine that re-makes the composed track, its codec), or (None, None)."""
    if request.restyle == "none":
        return None, None
    if registry.entry("decoder", request.restyle).tokens != "latent":
        names = ", ".join(e.name for e in registry.entries("decoder") if e.tokens == "latent")
        raise InvalidRequest(f"'{request.restyle}' cannot restyle a track; choose one of: {names}.")
    if decoder.token_kind != "score":
        raise InvalidRequest(
            "Restyling re-makes a composed track: choose a score engine (such as the composer), "
            f"not '{request.decoder}'."
        )
    restyler = registry.get("decoder", request.restyle)
    return restyler, registry.get("codec", restyler.default_codec)


def codec_for(decoder, request: GenerationRequest) -> str:
    """The decoder's codec; a score is produced by the studio unless the plain SoundFont is asked for."""
    if decoder.token_kind == "score" and request.sound == "produced":
        return "studio"
    return decoder.default_codec


def generate_variations(
    request: GenerationRequest,
    progress: ProgressFn | None = None,
    preview: Callable[[np.ndarray], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    taste=None,
) -> list[Track]:
    """Steps 1-6 for 1-4 takes. Each take is planned and decoded from its own seed; decoders that
    batch (MusicGen) decode all takes in one batch.

    `taste` (a feedback.RewardModel, optional): the plan's open tempo leans toward what the user
    liked, and the takes come best-liked first (best-of-N; else best match to the description).

    `preview` (optional) receives take 1's audio `[2, n]` at 44.1 kHz piece by piece while a
    streaming decoder (MusicGen) is still generating, for playback before the track is done.
    `should_stop()` (optional) is asked before every step and, by decoders that run long, while
    they work; when it says yes, Cancelled is raised and the work is abandoned."""
    timer = _StepTimer(progress, should_stop)
    with timer.step("validate"):
        request = validate(request)
        if request.loop and registry.entry("decoder", request.decoder).tokens != "score":
            raise InvalidRequest(
                f"The '{request.decoder}' engine cannot write a seamless loop (it makes audio, not a score); "
                "choose a score engine such as the composer."
            )
        decoder = registry.get("decoder", request.decoder)
        codec_name = codec_for(decoder, request)
        codec = registry.get("codec", codec_name)
        descriptors = load_descriptors()
        takes = [
            replace(request, seed=seed, variations=1) for seed in variation_seeds(request.seed, request.variations)
        ]
        conditioning = _conditioning(request, decoder)
        singer = registry.get("singer", request.vocals) if request.vocals != "none" else None
        voice_codec = _voice_codec(singer, request)
        restyler, restyle_codec = _restyler(request, decoder)
        licence = registry.entry("decoder", request.restyle if restyler else request.decoder).licence
        licence = licence.text if licence else ""
    with timer.step("encode"):
        features, cues = encode_prompt(request.prompt, descriptors)
        reading, video = encode_media(request, descriptors)
    with timer.step("plan"):
        plans: list[MusicPlan] = [
            build_plan(take, features, cues, descriptors, take.seed, reading, taste) for take in takes
        ]
    # Audio engines follow the plan loosely: asked for a little more music, conformed to it after.
    conforms = decoder.token_kind != "score" or restyler is not None
    asked = [replace(p, duration_s=engine_duration(p)) if decoder.token_kind != "score" else p for p in plans]
    with timer.step("decode"):
        stream = PreviewStream(preview) if preview and decoder.token_kind == "audio" else None
        all_tokens = decoder.decode_many(
            asked,
            [take.seed for take in takes],
            sampling=request,
            conditioning=conditioning,
            on_frames=stream and stream.on_frames,
            should_stop=should_stop,
        )
        if stream:
            stream.finish()
    originality: list[dict | None] = [None] * len(takes)
    if decoder.token_kind == "score":
        with timer.step("originality"):
            all_tokens, originality = _original_takes(
                decoder, asked, takes, all_tokens, request, conditioning, progress
            )
    with timer.step("render"):
        waves = [codec.decode(tokens) for tokens in all_tokens]
    restyled = []  # the restyling engine's latents of each take
    if restyler is not None:
        with timer.step("restyle"):
            for plan, take, wave in zip(plans, takes, waves):
                restyled.append(restyler.restyle(plan, wave, take.seed, request.restyle_keep, should_stop=should_stop))
            waves = [restyle_codec.decode(latents) for latents in restyled]
    conformed = []  # each take's ConformReport
    if conforms:
        with timer.step("conform"):
            for plan, wave in zip(plans, waves):
                conformed.append(conform(wave, plan, request.fix_key))
            waves = [wave for wave, _ in conformed]
    if singer is not None:
        with timer.step("vocals"):
            sing = _sing_over if getattr(singer, "sings_over", False) else _sing
            waves = [sing(singer, voice_codec, plan, t.seed, wave) for plan, t, wave in zip(plans, takes, waves)]
    with timer.step("master"):
        mastered = [master(wave, request.loudness_lufs, loop=request.loop) for wave in waves]
    with timer.step("score"):
        scores = _clap_scores(request, plans, mastered)
    tracks = []
    for i, (take, plan, tokens, (audio, mastering)) in enumerate(zip(takes, plans, all_tokens, mastered)):
        neural = tokens.kind != "score" or bool(restyled)
        details = _details(i, len(takes), scores, codec_name, codec, tokens, audio, plan, reading, licence, neural)
        if restyled:  # the composed track was re-made by a diffusion engine
            details["restyled"] = {"engine": request.restyle, "keep": request.restyle_keep, **restyled[i].notes}
        if conformed:
            details["conformed"] = conformed[i][1].to_dict()
        if originality[i] is not None:
            details["originality"] = originality[i]
        tracks.append(
            Track(
                request=take,
                plan=plan,
                tokens=tokens,
                audio=audio,
                mastering=mastering,
                decoder=request.decoder,
                codec=codec_name,
                timings_s=dict(timer.timings),
                details=details,
                video=video,
                video_audio=_video_audio(request, reading),
            )
        )
    if taste is not None and len(tracks) > 1:  # best-of-N: the takes this user would like best first
        for track in tracks:
            track.details["reward"] = round(taste.score(track.report()), 4)
        tracks.sort(key=lambda track: -track.details["reward"])
    elif scores:  # best match to the description first
        tracks.sort(key=lambda track: -track.details["clap_score"])
    if progress:
        progress(1.0, "Done")
    return tracks


def _original_takes(decoder, plans, takes, all_tokens, request, conditioning, progress) -> tuple[list, list]:
    """Each score take checked against the known tunes, one that copies written again (originality/takes.py)."""
    from .originality.takes import checked_takes

    def decode_again(i: int, seed: int):
        return decoder.decode_many([plans[i]], [seed], sampling=request, conditioning=conditioning)[0]

    say = (lambda text: progress(STAGES["originality"][0], text)) if progress else None
    return checked_takes(plans, [take.seed for take in takes], all_tokens, decode_again, say)


def _voice_codec(singer, request: GenerationRequest):
    """What turns the singer's tokens into audio: the asked codec for Bark's EnCodec tokens; a
    diffusion singer's own VAE for its latents."""
    if singer is None:
        return None
    if getattr(singer, "sings_over", False):
        if request.vocals_codec != "encodec":
            raise InvalidRequest(
                f"The vocals codec '{request.vocals_codec}' decodes Bark's voice; {request.vocals} sings "
                "through its own decoder, so leave the vocals codec as it is."
            )
        return registry.get("codec", singer.default_codec)
    return registry.get("codec", request.vocals_codec)


def _sing_over(singer, codec, plan: MusicPlan, seed: int, accompaniment: Waveform) -> Waveform:
    """The whole song sung by a singer that hears the accompaniment (ACE-Step), mixed over it."""
    from .post.mix import mix_vocals

    voice = codec.decode(singer.sing_over(plan, accompaniment, seed))
    return mix_vocals(accompaniment, [(0.0, voice)])


def _sing(singer, codec, plan: MusicPlan, seed: int, accompaniment: Waveform) -> Waveform:
    """Each lyric section sung by `singer` from its first line's downbeat (cut at the next
    section's), its tokens decoded by `codec`, mixed over the accompaniment with ducking."""
    from .post.mix import mix_vocals

    sections: list[list] = []  # runs of lines of one section (a chorus may come back)
    for slot in plan.lyric_slots:
        if (
            sections
            and sections[-1][-1].section == slot.section
            and sections[-1][-1].start_bar + sections[-1][-1].bars == slot.start_bar
        ):
            sections[-1].append(slot)
        else:
            sections.append([slot])
    starts = [plan.beat_time(plan.bar_start_beat(slots[0].start_bar)) for slots in sections]
    ends = starts[1:] + [plan.final_chord_s + plan.ring_s]
    vocals = []
    for i, (slots, start, end) in enumerate(zip(sections, starts, ends)):
        voice = codec.decode(singer.sing([slot.line.text for slot in slots], seed=seed + i))
        vocals.append(
            (start, Waveform(voice.samples[:, : int((end - start) * voice.sample_rate_hz)], voice.sample_rate_hz))
        )
    return mix_vocals(accompaniment, vocals)


def _video_audio(request: GenerationRequest, reading: Reading | None) -> str:
    """What happens to a video's own sound: as asked, or (auto) the music ducks under speech."""
    if request.video_audio != "auto":
        return request.video_audio
    return "duck" if reading is not None and reading.details.get("speech") else "music"


def _details(
    index: int,
    count: int,
    scores: list[float],
    codec_name: str,
    codec,
    tokens,
    audio,
    plan: MusicPlan,
    reading: Reading | None,
    licence: str = "",
    neural: bool = False,
) -> dict:
    """What the report says beyond the plan: take number, CLAP score, SoundFont, decoder notes,
    a score's statistics,
    the engine's weights licence where it has one,
    the picture or video read, for neural decoders (which follow the plan loosely) the tempo and
    key measured, and where there are cuts how far each lands from a measured beat."""
    details = {"variation": f"{index + 1} of {count}"} if count > 1 else {}
    if reading is not None:  # what was read, as plain values (the parsed lyrics are in the plan)
        details["media"] = {
            k: v for k, v in reading.details.items() if isinstance(v, (str, int, float, bool, list, dict, type(None)))
        }
    if scores:
        details["clap_score"] = round(scores[index], 4)
    if codec_name in ("soundfont", "studio"):
        details["soundfont"] = codec.soundfont.name
    if audio.notes:  # what the studio played and applied
        details["production"] = dict(audio.notes)
    if getattr(tokens, "notes", None):
        details["decoder_notes"] = dict(tokens.notes)
    if getattr(tokens, "kind", None) == "score":  # what the reward model reads of the score
        details["score"] = score_statistics(tokens)
    if licence:
        details["licence"] = licence
    if neural:  # neural audio follows the plan loosely: say what it hit
        from .eval import metrics

        found_key, _ = metrics.estimate_key(audio.samples, audio.sample_rate_hz)
        details["measured"] = {
            "tempo_bpm": round(metrics.tempo_bpm(audio.samples, audio.sample_rate_hz), 2),
            "key": found_key.name,
        }
    # Cuts before the final chord are measured against the beats found in the music; a cut the
    # final chord lands on against the chord's onset (no beat follows it); later cuts ring out.
    aimed = [c for c in plan.cuts_s if c < plan.final_chord_s - 0.01]
    ending = [c for c in plan.cuts_s if abs(c - plan.final_chord_s) <= 0.01]
    if aimed or ending:
        from .eval import metrics

        measured = details.setdefault("measured", {})
        if aimed:
            distances = metrics.cut_to_beat_s(aimed, metrics.beat_times(audio.samples, audio.sample_rate_hz))
            # None: no beat found to measure against (a neural engine may make none)
            measured["cut_to_nearest_beat_ms"] = [round(1000 * d, 1) if np.isfinite(d) else None for d in distances]
        if ending:
            onsets = metrics.onset_times(audio.samples, audio.sample_rate_hz)
            distance = metrics.cut_to_beat_s(ending, onsets)[0]
            measured["final_chord_to_last_cut_ms"] = round(1000 * distance, 1) if np.isfinite(distance) else None
    return details


def _clap_scores(request: GenerationRequest, plans: list[MusicPlan], mastered) -> list[float]:
    """CLAP text-audio similarity of each take, when CLAP weights are on this machine."""
    from .eval.clap import clap_scorer

    scorer = clap_scorer()
    if scorer is None:
        return []
    return [
        scorer.score(audio.samples, audio.sample_rate_hz, request.prompt or plan.style_label)
        for plan, (audio, _) in zip(plans, mastered)
    ]
