"""mmgen: finished music for videos and games from a description, a picture, lyrics or a video.

from mmgen import generate, GenerationRequest
track = generate(GenerationRequest(prompt="lofi beat for a cooking video", duration_s=30))
track.save("out.wav"); track.save("out.mid"); print(track.explain())
"""

from .errors import GenerationFailed, InvalidRequest, MmgenError, Unavailable
from .request import GenerationRequest
from .version import __version__


def generate(request, progress=None):
    """Prompt to mastered audio; see mmgen.pipeline. Imported lazily to keep `import mmgen` light."""
    from .pipeline import generate as _generate

    return _generate(request, progress)


def available_decoders() -> list[dict]:
    """Each decoder with its availability, the reason when unavailable, what an uploaded clip
    does with it (clip_use: "continue", "melody" or None), what its tracks may be used for
    (licence: a plain sentence; licence_id: a short SPDX-like id; commercial: "yes", "no" or
    "limited") and the tokens it emits ("score", "audio" or "latent")."""
    from . import components, registry

    components.register_builtins()
    rows = []
    for entry in registry.entries("decoder"):
        status = entry.check()
        rows.append(
            {
                "name": entry.name,
                "available": status.ok,
                "reason": status.reason,
                "offline": entry.offline,
                "description": entry.description,
                "clip_use": entry.clip_use,
                "licence": entry.licence.text if entry.licence else "",
                "licence_id": entry.licence.id if entry.licence else "",
                "commercial": entry.licence.commercial if entry.licence else "",
                "tokens": entry.tokens,
            }
        )
    return rows


__all__ = [
    "GenerationFailed",
    "GenerationRequest",
    "InvalidRequest",
    "MmgenError",
    "Unavailable",
    "__version__",
    "available_decoders",
    "generate",
]
