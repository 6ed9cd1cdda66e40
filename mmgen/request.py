"""GenerationRequest: everything a user can ask for, validated with plain-language errors.

An empty prompt is allowed: the piece is then planned from the controls alone (tempo, key,
meter) with a neutral light-pop arrangement.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import asdict, dataclass

from .errors import InvalidRequest
from .music import parse_key, parse_meter
from .text_checks import check_text

MAX_PROMPT_CHARS = 2000
DURATION_RANGE_S = (5.0, 600.0)
TEMPO_RANGE_BPM = (30.0, 300.0)
LOUDNESS_RANGE_LUFS = (-30.0, -6.0)
MAX_SEED = 2**32 - 1
MAX_VARIATIONS = 4
MAX_CUTS = 200
SOUNDS = ("produced", "general-midi")  # how score engines sound: mmgen/studio, or the SoundFont alone
VOCALS_CODECS = ("encodec", "vocos")  # what turns the singer's tokens into audio: EnCodec's decoder, or Vocos
# Sampling controls of neural decoders (the composer has no use for them).
TOP_K_RANGE, TOP_P_RANGE, TEMPERATURE_RANGE, GUIDANCE_RANGE = (0, 2048), (0.0, 1.0), (0.05, 3.0), (1.0, 15.0)
RESTYLE_KEEP_RANGE = (0.1, 1.0)
FIX_KEY_MODES = ("auto", "on", "off")  # an audio engine's key brought to the plan's: mmgen/post/conform.py


@dataclass
class GenerationRequest:
    prompt: str = ""
    duration_s: float | None = 30.0  # None with lyrics: as long as the song form
    tempo_bpm: float | None = None
    key: str | None = None
    meter: str | None = None
    seed: int | None = None
    decoder: str = "composer"
    loudness_lufs: float = -14.0
    variations: int = 1  # 1-4 takes; take i uses seed + i, so each can be remade on its own
    top_k: int = 250
    top_p: float = 0.0
    temperature: float = 1.0
    guidance_scale: float = 3.0
    continue_audio: str | None = None  # path of a clip the piece starts with and continues (MusicGen)
    melody_audio: str | None = None  # path of a clip whose melody the piece follows (MusicGen-Melody)
    image_path: str | None = None  # a picture the music should fit
    video_path: str | None = None  # a video to score: the duration then comes from the video
    cuts_s: list[float] | str | None = None  # times (s) the music should mark, e.g. "3.2, 7.9"
    video_audio: str = "auto"  # the video's own sound: auto | music (drop it) | mix (keep it under) | duck
    lyrics: str | None = None  # song lyrics to set; duration_s None = as long as the song form needs
    vocals: str = "none"  # sung vocals for the lyrics: none | bark-small | bark
    vocals_codec: str = "encodec"  # the singer's tokens -> audio: encodec (Bark's own) | vocos
    sound: str = "produced"  # score engines: produced (synths, drum machines, a mix) | general-midi (SoundFont, dry)
    blend_seed: int | None = None  # symbolic-vae: the melody moves from `seed`'s towards this seed's
    restyle: str = "none"  # a diffusion engine (ace-step, stable-audio-3) re-making a score engine's track
    restyle_keep: float = 0.6  # how closely the restyled sound follows the composed track, 0.1..1
    fix_key: str = "auto"  # audio engines: auto (shift a clear key 1 semitone to the plan's) | on (up to 2) | off
    loop: bool = False  # score engines: a seamless loop of whole bars (no ending) instead of a piece that ends
    weights: str = "shipped"  # or a personal checkpoint's name (learned engines, MusicGen, ACE-Step: checkpoints.py)

    def to_dict(self) -> dict:
        return asdict(self)


def _number(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidRequest(f"The {what} must be a number, not {value!r}.") from None
    if not math.isfinite(number):
        raise InvalidRequest(f"The {what} must be a finite number.")
    return number


def _in_range(value, bounds: tuple[float, float], what: str, unit: str) -> float:
    number = _number(value, what)
    low, high = bounds
    if not low <= number <= high:
        raise InvalidRequest(
            f"The {what} must be between {low:g} and {high:g}{' ' + unit if unit else ''}; you asked for {number:g}."
        )
    return number


def _file_name(path, what: str) -> str | None:
    return (check_text(str(path), what) or None) if path else None


def parse_cuts(cuts, duration_s: float) -> list[float]:
    """ "3.2, 7.9" or [3.2, 7.9] -> sorted distinct times inside the piece, or InvalidRequest."""
    if cuts in (None, "", []):
        return []
    items = list(re.split(r"[,;\s]+", check_text(cuts, "cut times"))) if isinstance(cuts, str) else list(cuts)
    times = sorted({round(_number(c, "cut time"), 4) for c in items if str(c).strip()})
    if len(times) > MAX_CUTS:
        raise InvalidRequest(f"That is {len(times)} cut times; please give at most {MAX_CUTS}.")
    outside = [t for t in times if not 0 < t < duration_s]
    if outside:
        raise InvalidRequest(f"The cut at {outside[0]:g} s is outside the piece (0 to {duration_s:g} s).")
    return times


def validate(request: GenerationRequest) -> GenerationRequest:
    """Return a normalised copy of the request, or raise InvalidRequest saying what to fix."""
    prompt = check_text(request.prompt or "", "description")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequest(
            f"The description is {len(prompt):,} characters long; please keep it under {MAX_PROMPT_CHARS:,}."
        )
    image, video = _file_name(request.image_path, "image file name"), _file_name(request.video_path, "video file name")
    lyrics = request.lyrics.strip() if isinstance(request.lyrics, str) and request.lyrics.strip() else None
    if sum(bool(x) for x in (image, video, lyrics)) > 1:
        raise InvalidRequest("Give one of a picture, a video or lyrics, not several at once.")
    if lyrics:
        from .encoders.lyrics import parse_lyrics

        parse_lyrics(lyrics)  # refuse bad lyrics before any work
    vocals = check_text(request.vocals or "none", "vocals")
    if vocals != "none" and not lyrics:
        raise InvalidRequest("Sung vocals need lyrics to sing; add them, or choose no vocals.")
    vocals_codec = request.vocals_codec or "encodec"
    if vocals_codec not in VOCALS_CODECS:
        raise InvalidRequest(f"The vocals codec must be one of {', '.join(VOCALS_CODECS)}, not {vocals_codec!r}.")
    if vocals_codec != "encodec" and vocals == "none":
        raise InvalidRequest(f"The vocals codec '{vocals_codec}' decodes a singer's voice; choose a singer too.")
    if video:  # the music is exactly as long as the video
        from .encoders.video import probe_video

        duration = probe_video(video).duration_s
    elif lyrics and request.duration_s in (None, "", 0):
        duration = None  # the song form sets it
    else:
        duration = _in_range(request.duration_s, DURATION_RANGE_S, "duration", "seconds")
    cuts = parse_cuts(request.cuts_s, duration or DURATION_RANGE_S[1])
    from .post.video import AUDIO_MODES

    if request.video_audio not in AUDIO_MODES:
        raise InvalidRequest(f"The video sound must be one of {', '.join(AUDIO_MODES)}, not {request.video_audio!r}.")
    if request.sound not in SOUNDS:
        raise InvalidRequest(f"The sound must be one of {', '.join(SOUNDS)}, not {request.sound!r}.")
    tempo = None
    if request.tempo_bpm not in (None, "", 0):
        tempo = _in_range(request.tempo_bpm, TEMPO_RANGE_BPM, "tempo", "BPM")
    key = (check_text(request.key, "key") or None) if request.key else None
    if key:
        key = parse_key(key).name
    meter = (check_text(request.meter, "time signature") or None) if request.meter else None
    if meter:
        meter = parse_meter(meter).name
    seed = request.seed
    if seed is None or seed == "":
        seed = random.SystemRandom().randint(0, MAX_SEED)
    seed_number = _number(seed, "seed")
    if seed_number != int(seed_number) or not 0 <= seed_number <= MAX_SEED:
        raise InvalidRequest(f"The seed must be a whole number between 0 and {MAX_SEED}.")
    blend_seed = None
    if request.blend_seed not in (None, ""):
        blend_seed = _number(request.blend_seed, "seed to blend into")
        if blend_seed != int(blend_seed) or not 0 <= blend_seed <= MAX_SEED:
            raise InvalidRequest(f"The seed to blend into must be a whole number between 0 and {MAX_SEED}.")
        blend_seed = int(blend_seed)
    decoder = check_text(request.decoder or "composer", "decoder name")
    loudness = _in_range(request.loudness_lufs, LOUDNESS_RANGE_LUFS, "loudness target", "LUFS")
    variations = _in_range(request.variations, (1, MAX_VARIATIONS), "number of variations", "")
    top_k = _in_range(request.top_k, TOP_K_RANGE, "top-k", "")
    if variations != int(variations) or top_k != int(top_k):
        raise InvalidRequest("The number of variations and top-k must be whole numbers.")
    restyle = check_text(request.restyle or "none", "restyle engine")
    restyle_keep = _in_range(request.restyle_keep, RESTYLE_KEEP_RANGE, "restyle closeness", "")
    if request.fix_key not in FIX_KEY_MODES:
        raise InvalidRequest(f"The key fix must be one of {', '.join(FIX_KEY_MODES)}, not {request.fix_key!r}.")
    loop = _loop_allowed(request.loop, bool(video or cuts or lyrics), restyle, vocals)
    continue_audio = check_text(request.continue_audio, "audio file name") if request.continue_audio else None
    melody_audio = check_text(request.melody_audio, "audio file name") if request.melody_audio else None
    if continue_audio and melody_audio:
        raise InvalidRequest("Give either a clip to continue or a melody to follow, not both.")
    return GenerationRequest(
        continue_audio=continue_audio or None,
        melody_audio=melody_audio or None,
        image_path=image,
        video_path=video,
        cuts_s=cuts,
        video_audio=request.video_audio,
        lyrics=lyrics,
        vocals=vocals,
        vocals_codec=vocals_codec,
        sound=request.sound,
        blend_seed=blend_seed,
        restyle=restyle,
        restyle_keep=restyle_keep,
        fix_key=request.fix_key,
        loop=loop,
        weights=_weights(request.weights, decoder),
        prompt=prompt,
        duration_s=duration,
        tempo_bpm=tempo,
        key=key,
        meter=meter,
        seed=int(seed_number),
        decoder=decoder,
        loudness_lufs=loudness,
        variations=int(variations),
        top_k=int(top_k),
        top_p=_in_range(request.top_p, TOP_P_RANGE, "top-p", ""),
        temperature=_in_range(request.temperature, TEMPERATURE_RANGE, "temperature", ""),
        guidance_scale=_in_range(request.guidance_scale, GUIDANCE_RANGE, "guidance scale", ""),
    )


def _weights(weights, decoder: str) -> str:
    """A personal checkpoint exists for the engine asked for, and that engine plays it."""
    from .checkpoints import SHIPPED, personal_weights

    if weights in (None, "", SHIPPED):
        return SHIPPED
    personal_weights(decoder, weights)
    return weights


def _loop_allowed(loop, timed: bool, restyle: str, vocals: str) -> bool:
    """A loop repeats whole bars: it cannot follow a video's cuts or a song's lyrics, and only the
    score engines write one (the engine is checked by the pipeline)."""
    if loop not in (True, False, 0, 1):
        raise InvalidRequest(f"Looping is on or off (true or false), not {loop!r}.")
    if not loop:
        return False
    if timed:
        raise InvalidRequest(
            "A loop repeats the same bars, so it cannot follow a video, cut times or lyrics: turn looping off."
        )
    if restyle != "none" or vocals != "none":
        raise InvalidRequest("A loop is played by the score engines' own instruments: turn off restyling and vocals.")
    return True
