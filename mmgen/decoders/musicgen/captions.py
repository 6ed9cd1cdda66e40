"""The MusicPlan written as a text condition in the style of MusicGen's training captions:
what the music is, its mood and instruments, then tempo, key and meter."""

from __future__ import annotations

from ...plan import MusicPlan

ROLE_ORDER = ("melody", "chords", "pad", "bass", "ostinato", "drums")


def instrument_words(plan: MusicPlan) -> list[str]:
    import pretty_midi

    words = []
    for role in ROLE_ORDER:
        if role not in plan.instruments:
            continue
        name = "drums" if role == "drums" else pretty_midi.program_to_instrument_name(plan.instruments[role]).lower()
        name = name.replace(" (finger)", "").replace(" (pick)", "").replace(" 1", "").replace(" 2", "")
        if name not in words:
            words.append(name)
    return words


def caption_for(plan: MusicPlan) -> str:
    """e.g. "Chill lofi beat for a cooking video. A happy lo-fi hip hop track with electric piano,
    vibraphone, fingered bass and drums. 80 bpm, D major, 4/4 time." """
    instruments = instrument_words(plan)
    listed = ", ".join(instruments[:-1]) + (f" and {instruments[-1]}" if len(instruments) > 1 else instruments[0])
    mood = " ".join(plan.moods[:2])
    article = "An" if (mood or plan.style_label)[:1].lower() in "aeiou" else "A"
    sentence = f"{article} {mood + ' ' if mood else ''}{plan.style_label} track with {listed}."
    facts = f"{round(plan.tempo_bpm)} bpm, {plan.key.name}, {plan.meter.name} time."
    lead = plan.prompt.strip().rstrip(".")
    scene = f"Music for a scene of {plan.scene.strip().rstrip('.')}." if plan.scene else ""
    refused = f"No {' and no '.join(plan.excluded)}." if plan.excluded else ""  # "no drums", as asked
    return " ".join(part for part in (f"{lead}." if lead else "", scene, sentence, refused, facts) if part)
