"""The MusicPlan written the way the diffusion models were trained to read it.

ACE-Step 1.5 takes a caption (what the music is: style, moods, instruments, use), the metadata
separately (bpm, key, time signature, duration), and lyrics tagged by section (`[verse]`,
`[chorus]`...) with the language they are sung in. Stable Audio 3 takes one caption that also
carries the tempo and key.
"""

from __future__ import annotations

from ...plan import MusicPlan
from ..musicgen.captions import caption_for, instrument_words

# The lyric form's section roles -> the tags ACE-Step's lyrics use.
SECTION_TAGS = {
    "intro": "intro",
    "verse": "verse",
    "prechorus": "pre-chorus",
    "chorus": "chorus",
    "bridge": "bridge",
    "build": "bridge",
    "outro": "outro",
}


def ace_step_caption(plan: MusicPlan) -> str:
    """e.g. "Chill lofi beat for a cooking video. lo-fi hip hop, happy, calm, electric piano,
    vibraphone, fingered bass, drums, for cooking videos, with a clear ending" """
    tags = [plan.style_label, *plan.moods[:3], *instrument_words(plan), *(f"for {use}" for use in plan.uses[:1])]
    tags += [f"no {refused}" for refused in plan.excluded]
    tags.append("with a clear ending")
    lead = plan.prompt.strip().rstrip(".")
    scene = f"Music for a scene of {plan.scene.strip().rstrip('.')}." if plan.scene else ""
    return " ".join(part for part in (f"{lead}." if lead else "", scene, ", ".join(dict.fromkeys(tags))) if part)


def stable_audio_caption(plan: MusicPlan) -> str:
    """The plan as one sentence with its facts (tempo, key, meter), as Stable Audio 3 reads it."""
    return caption_for(plan)


def tagged_lyrics(plan: MusicPlan) -> str:
    """The plan's lyric form as ACE-Step lyrics: one tag per section, its lines under it, an
    instrumental intro and outro around them ("" for an instrumental piece)."""
    if not plan.lyric_slots:
        return ""
    roles = {section.name: section.role for section in plan.sections}
    blocks: list[tuple[str, list[str]]] = [("intro", [])]
    previous = None
    for slot in plan.lyric_slots:
        if slot.section != previous:  # a new section (a chorus that comes back is tagged again)
            blocks.append((SECTION_TAGS.get(roles.get(slot.section, "verse"), "verse"), []))
            previous = slot.section
        blocks[-1][1].append(slot.line.text)
    blocks.append(("outro", []))
    return "\n\n".join("\n".join([f"[{tag}]", *lines]) for tag, lines in blocks)


def vocal_language(plan: MusicPlan) -> str:
    """The language the lyrics are sung in, read from their script and words ("en", "ja"...)."""
    from ...encoders.words import read_words

    return read_words(" ".join(slot.line.text for slot in plan.lyric_slots)).language if plan.lyric_slots else "en"


def time_signature(plan: MusicPlan) -> str:
    """ACE-Step's time signature: the beats in a bar ("4" for 4/4, "3" for 3/4, "6" for 6/8)."""
    return plan.meter.name.split("/")[0]
