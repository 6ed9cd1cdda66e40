""".ecdc files: EnCodec tokens in the `encodec` package's own compressed format.

The layout is the package's (`encodec.compress`, without its optional entropy-coding language
model): a header (magic, version, JSON metadata: model name, audio length, codebook count), then
per segment its loudness scale (48 kHz model only) and the codes bit-packed frame by frame. The
`encodec` command line tool decodes these files (`encodec file.ecdc out.wav`), and mmgen reads them
back to tokens. Only the package's models (24 and 48 kHz) have such files: MusicGen's 32 kHz
EnCodec is not among the models the package knows.
"""

from __future__ import annotations

import io
import math
import struct
from pathlib import Path

import numpy as np

from ..errors import InvalidRequest
from ..tokens import AudioTokens
from .encodec_package import MODELS, segment_frames

PACKAGE_NAMES = {spec.package_name: name for name, spec in MODELS.items()}


def supports_ecdc(tokens) -> bool:
    return isinstance(tokens, AudioTokens) and tokens.codec in MODELS


def ecdc_bytes(tokens: AudioTokens) -> bytes:
    """Tokens of a package codec (codes `[1, K, T]`) -> the bytes of an .ecdc file."""
    from encodec import binary

    if not supports_ecdc(tokens):
        raise InvalidRequest(
            "These tokens cannot be saved as .ecdc: the format holds only the encodec package's 24 and 48 kHz codecs."
        )
    model = tokens.codec_model
    audio_length = tokens.notes.get("audio_length") or int(round(tokens.end_s * model.sample_rate))
    codes = tokens.codes[0]
    out = io.BytesIO()
    binary.write_ecdc_header(out, {"m": model.name, "al": audio_length, "nc": int(codes.shape[0]), "lm": False})
    scales = tokens.notes.get("scales") or []
    start = 0
    for i, frames in enumerate(segment_frames(model, audio_length)):
        if model.normalize:
            out.write(struct.pack("!f", scales[i]))
        packer = binary.BitPacker(model.bits_per_codebook, out)
        for value in codes[:, start : start + frames].T.reshape(-1).tolist():  # frame by frame, codebook by codebook
            packer.push(int(value))
        packer.flush()
        start += frames
    return out.getvalue()


def read_ecdc(path: str | Path, model=None) -> AudioTokens:
    """An .ecdc file -> tokens for its codec (the codec's model is loaded unless given)."""
    from encodec import binary

    from .. import registry

    data = io.BytesIO(Path(path).read_bytes())
    try:
        meta = binary.read_ecdc_header(data)
    except (ValueError, EOFError, UnicodeDecodeError, struct.error):
        raise InvalidRequest(f"'{Path(path).name}' is not an .ecdc file.") from None
    if meta.get("lm"):
        raise InvalidRequest("This .ecdc file uses the entropy-coding language model, which mmgen does not read.")
    name = PACKAGE_NAMES.get(meta.get("m"))
    if name is None:
        raise InvalidRequest(f"This .ecdc file was made with an unknown model ({meta.get('m')!r}).")
    model = model or registry.get("codec", name).model()
    audio_length, K = int(meta["al"]), int(meta["nc"])
    segments, scales = [], []
    for frames in segment_frames(model, audio_length):
        if model.normalize:
            scales.append(struct.unpack("!f", binary._read_exactly(data, 4))[0])
        unpacker = binary.BitUnpacker(model.bits_per_codebook, data)
        values = [unpacker.pull() for _ in range(frames * K)]
        if None in values:
            raise InvalidRequest("This .ecdc file is cut short.")
        segments.append(np.asarray(values, dtype=np.int64).reshape(frames, K).T)
    codes = np.concatenate(segments, axis=-1)[None]
    return AudioTokens(
        codes=codes,
        codebook_size=model.quantizer.bins,
        frame_rate_hz=model.frame_rate,
        codec=name,
        end_s=audio_length / model.sample_rate,
        codec_model=model,
        notes={
            "audio_length": audio_length,
            "scales": scales or None,
            "bandwidth_kbps": K * math.log2(model.quantizer.bins) * model.frame_rate / 1000,
        },
    )
