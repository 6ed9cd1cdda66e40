"""Song lyrics -> a song form with syllables: sections, lines, syllables with stress, rhymes.

Sections come from tags ([Verse], [Chorus], [Bridge], [Intro], [Outro], [Pre-Chorus], [Hook])
or, untagged, from blank lines (a stanza that comes back is the chorus). Each line is split into
syllables: CJK characters and kana count one each; alphabetic words split at vowel groups (one
consonant between vowels starts the next syllable; English silent final e and -ed are handled).
English stress is guessed by rule (function words unstressed; two-syllable words with a prefix
such as be-, re-, to- stressed on the second; -tion/-sion/-ic words before the suffix; else the
first), other alphabetic languages stress the first syllable, and CJK has no stress.
Rhymes compare each line's last word from its last vowel group on.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidRequest
from ..text_checks import check_text

MAX_LYRICS_CHARS = 5000
MAX_LYRICS_FILE_BYTES = 100_000
MAX_LINES = 120
MAX_SYLLABLES_PER_LINE = 24
TAGS = {
    "verse": "verse",
    "chorus": "chorus",
    "refrain": "chorus",
    "hook": "chorus",
    "bridge": "bridge",
    "intro": "intro",
    "outro": "outro",
    "pre-chorus": "prechorus",
    "prechorus": "prechorus",
    "post-chorus": "chorus",
    "interlude": "bridge",
    "coda": "outro",
}
FUNCTION_WORDS = set(
    "a an the and or but of to in on at by for from with as is am are was were be been it its "
    "i you he she we they me him her us them my your his our their this that these those "
    "so if then than do does did not no nor can will just oh ah la na da yeah".split()
)
UNSTRESSED_PREFIXES = ("a", "be", "de", "re", "un", "to", "for", "in", "ex", "en", "em", "com", "con", "pre")
VOWELS = "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ"
_WORD = re.compile(r"[\w'’-]+", re.UNICODE)


@dataclass
class Syllable:
    text: str  # what is sung on this note, e.g. "mem"
    stressed: bool
    word_start: bool


@dataclass
class LyricLine:
    text: str
    syllables: list[Syllable]
    rhyme: str  # the sound the line ends on ("" when it has no letters)


@dataclass
class LyricSection:
    name: str  # "Verse 1", "Chorus"
    role: str  # verse | chorus | prechorus | bridge | intro | outro
    lines: list[LyricLine] = field(default_factory=list)

    def rhyme_scheme(self) -> str:
        letters: dict[str, str] = {}
        return "".join(
            letters.setdefault(line.rhyme, "ABCDEFGHIJKLMNOP"[min(len(letters), 15)]) if line.rhyme else "-"
            for line in self.lines
        )


@dataclass
class Lyrics:
    sections: list[LyricSection]
    text: str

    @property
    def lines(self) -> list[LyricLine]:
        return [line for section in self.sections for line in section.lines]

    def summary(self) -> str:
        parts = [f"{s.name} ({len(s.lines)} lines, {s.rhyme_scheme()})" for s in self.sections]
        return ", ".join(parts)


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return any(word in name for word in ("CJK UNIFIED", "HIRAGANA", "KATAKANA", "HANGUL SYLLABLE", "CJK COMPATIBILITY"))


def split_word(word: str) -> list[str]:
    """A word's syllables as text pieces: "remember" -> re, mem, ber; "fire" -> fire."""
    lower = word.lower()
    if lower.startswith("y") and len(lower) > 1 and lower[1] in VOWELS:
        lower = "j" + lower[1:]  # an initial y before a vowel is a consonant ("yes", "yesterday")
    groups = [(m.start(), m.end()) for m in re.finditer(f"[{VOWELS}]+", lower)]
    if len(groups) > 1 and re.search(r"[^aeiouy]e$|[^aeiouy]es$", lower) and not re.search(r"[^aeiouy]le$", lower):
        groups = groups[:-1]  # silent final e: "fire", "lines" (but "little" keeps it)
    if len(groups) > 1 and re.search(r"[^td]ed$", lower):
        groups = groups[:-1]  # "loved", but "wanted"
    if len(groups) <= 1:
        return [word]
    cuts = []
    for (_, end), (start, _) in itertools.pairwise(groups):
        cluster = lower[end:start]
        if cluster in ("th", "ch", "sh", "ph", "wh"):
            cuts.append(end)  # a digraph starts the next syllable: "ma-chine", "fa-ther"
        elif cluster[:2] in ("ng", "ck") and len(cluster) > 2:
            cuts.append(end + 2)  # "ng" and "ck" close the syllable: "ev-ery-thing", "sing-ing"
        else:
            cuts.append(end + (len(cluster) // 2 if len(cluster) > 1 else 0))  # one consonant starts the next
    bounds = [0, *cuts, len(word)]
    return [word[a:b] for a, b in itertools.pairwise(bounds) if word[a:b]]


def _stress(pieces: list[str], word: str, stressed_language: bool) -> list[bool]:
    """Which syllables of a word take the stress."""
    lower = word.lower()
    if not stressed_language:
        return [False] * len(pieces)
    if len(pieces) == 1:
        return [lower not in FUNCTION_WORDS]
    index = 0
    if re.search(r"(tion|sion|ic|ical|ity)$", lower) and len(pieces) >= 3:
        index = len(pieces) - (3 if lower.endswith(("ity", "ical")) else 2)
    elif len(pieces) in (2, 3) and pieces[0].lower() in UNSTRESSED_PREFIXES:
        index = 1
    return [i == index for i in range(len(pieces))]


def syllabify(line: str) -> list[Syllable]:
    """A line's syllables in order, with stress and word starts."""
    syllables: list[Syllable] = []
    cjk = [ch for ch in line if _is_cjk(ch)]
    ascii_letters = sum(ch.isascii() and ch.isalpha() for ch in line)
    english_like = ascii_letters >= max(1, 0.6 * sum(ch.isalpha() for ch in line))
    for word in _WORD.findall(line):
        if any(_is_cjk(ch) for ch in word):
            for ch in word:
                if _is_cjk(ch) and ch not in "ゃゅょャュョっッ":  # small kana join the mora before
                    syllables.append(Syllable(ch, False, True))
            continue
        letters = re.sub(r"[-'’]", "", word)
        if not any(ch.isalpha() for ch in letters):
            continue
        pieces = split_word(letters)
        for i, (piece, stressed) in enumerate(zip(pieces, _stress(pieces, letters, stressed_language=not cjk))):
            syllables.append(Syllable(piece, stressed if english_like or i == 0 else False, i == 0))
    return syllables


def rhyme_key(line: str) -> str:
    words = [w for w in _WORD.findall(line.lower()) if any(ch.isalpha() for ch in w)]
    if not words:
        return ""
    last = words[-1]
    if any(_is_cjk(ch) for ch in last):
        return last[-1]
    match = re.search(f"[{VOWELS}]+[^{VOWELS}]*$", re.sub(r"e$", "", last) or last)
    return match.group(0) if match else last[-2:]


def parse_lyrics(text: str) -> Lyrics:
    """Lyrics text (tags or blank lines) -> sections of syllabified lines, or InvalidRequest."""
    text = check_text(text or "", "lyrics")
    if not text:
        raise InvalidRequest("The lyrics are empty; paste the words of the song.")
    if len(text) > MAX_LYRICS_CHARS:
        raise InvalidRequest(
            f"The lyrics are {len(text):,} characters long; please keep them under {MAX_LYRICS_CHARS:,}."
        )
    blocks: list[tuple[str | None, list[str]]] = []
    current: tuple[str | None, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        tag = re.fullmatch(r"\[([^\]]+)\]|\(([^)]+)\)|([A-Za-z -]+):", line)
        if tag and (tag_name := (tag.group(1) or tag.group(2) or tag.group(3)).strip().lower()).split(" ")[0] in TAGS:
            current = (tag_name, [])
            blocks.append(current)
        elif not line:
            if current is not None and current[1]:
                current = None
        else:
            if current is None:
                current = (None, [])
                blocks.append(current)
            current[1].append(line)
    blocks = [b for b in blocks if b[1]]
    if not blocks:
        raise InvalidRequest("The lyrics have section tags but no words to sing.")
    if sum(len(lines) for _, lines in blocks) > MAX_LINES:
        raise InvalidRequest(f"The lyrics have more than {MAX_LINES} lines; please shorten them.")
    return Lyrics(sections=_name_sections(blocks), text=text)


def _name_sections(blocks: list[tuple[str | None, list[str]]]) -> list[LyricSection]:
    """Tagged blocks keep their tag; untagged stanzas that repeat are the chorus, the rest verses."""
    seen = [tuple(line.lower() for line in lines) for _, lines in blocks]
    sections, counts = [], {}
    for (tag, lines), key in zip(blocks, seen):
        if tag is not None:
            role = TAGS[tag.split(" ")[0]]
        else:
            role = "chorus" if seen.count(key) > 1 else "verse"
        counts[role] = counts.get(role, 0) + 1
        label = {"prechorus": "Pre-chorus"}.get(role, role.capitalize())
        name = f"{label} {counts[role]}" if role == "verse" else label
        parsed = []
        for line in lines:
            syllables = syllabify(line)
            if len(syllables) > MAX_SYLLABLES_PER_LINE:
                raise InvalidRequest(
                    f'The line "{line[:40]}…" has {len(syllables)} syllables; please split lines '
                    f"longer than {MAX_SYLLABLES_PER_LINE}."
                )
            if syllables:
                parsed.append(LyricLine(line, syllables, rhyme_key(line)))
        if parsed:
            sections.append(LyricSection(name, role, parsed))
    return sections


def read_lyrics(text: str, encoder, descriptors: dict):
    """Lyrics -> a Reading: the text encoder's mood and style scores for the words, the valence
    and arousal of the moods they lean to, and the parsed song (in details["lyrics"])."""
    import math

    from .reading import Reading

    lyrics = parse_lyrics(text)
    words = " ".join(line.text for line in lyrics.lines)
    features = encoder.encode(words[:1000])
    moods = features.scores["moods"]
    weights = {name: math.exp(8 * score) for name, score in moods.items()}
    total = sum(weights.values())
    valence = sum(w * descriptors["moods"][m]["valence"] for m, w in weights.items()) / total
    arousal = sum(w * descriptors["moods"][m]["arousal"] for m, w in weights.items()) / total
    return Reading(
        scores=features.scores,
        valence=valence,
        arousal=arousal,
        reasons={
            "input": f"the lyrics ({lyrics.summary()}) read as valence {valence:+.2f} and "
            f"energy {arousal:.2f}; each line is set syllable by syllable"
        },
        details={"label": "the lyrics", "lyrics": lyrics, "sections": lyrics.summary()},
    )


def lyrics_from(value: str, folder: Path | None = None) -> str:
    """The words themselves, or the path of a UTF-8 text file holding them (relative to `folder`
    when given: a batch manifest's)."""
    path = (Path(folder) / value.strip() if folder else Path(value)).expanduser()
    try:
        is_file = len(value) < 1024 and "\n" not in value and path.is_file()
    except OSError:
        is_file = False
    if not is_file:
        return value
    if path.stat().st_size > MAX_LYRICS_FILE_BYTES:
        raise InvalidRequest(f"The lyrics file '{path.name}' is too large; lyrics are a few kilobytes.")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest(f"The lyrics file '{path.name}' is not UTF-8 text.") from None
