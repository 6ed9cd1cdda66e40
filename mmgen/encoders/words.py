"""Reading a description's words, in any of mmgen's languages, without a model.

Every word the vocabulary knows (styles, moods, uses, instruments, families, tempo words,
comparisons, and the little words that negate or intensify) is found in one pass, longest first.
The little words then act on their neighbours: "no drums" and "ドラムなし" negate, "very slow"
and "一点" intensify or soften, "not too fast" holds a word back. What remains are `Mention`s:
the things the description names outright, which the planner lets win over the sentence encoder.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from ..vocabulary import load_vocabulary

CONTENT_KINDS = ("styles", "moods", "uses", "instruments", "families", "tempo", "shift", "meter")
SHIFT_KINDS = ("faster", "slower", "darker", "brighter", "calmer", "more_intense")
MODIFIER_DEGREE = {"intense": 1.6, "soft": 0.5, "limit": 0.5}
LATIN_LETTER = r"a-z0-9\u00c0-\u024f"  # a Latin-script word ends where these end
CLAUSE_END = re.compile(r"[.;!?。；！？\n]|,\s*(?:but|pero|mais|aber|mas)\b|[，、](?:但|しかし)")
LIST_GAP = re.compile(
    r"^(?:[\s/&+、]|and|or|nor|y|o|e|ou|et|und|oder|ni|和|或|与|跟|や|と|・|와|과|이나|및|और|या|any|even)*$"
)
SCRIPTS = {"han": "zh", "kana": "ja", "hangul": "ko", "devanagari": "hi"}


@dataclass
class Mention:
    kind: str  # one of CONTENT_KINDS
    name: str  # the entry's name (for "tempo": the factor; for "shift": the direction; "meter": "3/4")
    word: str  # as written in the description
    start: int
    end: int
    language: str
    negated: bool = False
    degree: float = 1.0  # >1 "very ...", <1 "a bit ..."
    limited: bool = False  # "not too ...": the word is held back, not negated


@dataclass
class WordReading:
    text: str  # the description, normalised (mentions index into it)
    language: str  # the description's main language
    languages: list[str]  # every language it was written in, main first
    mentions: list[Mention] = field(default_factory=list)

    def named(self, kind: str) -> list[Mention]:
        """What the description asks for, in the order it was written (negated ones left out)."""
        return [m for m in self.mentions if m.kind == kind and not m.negated]

    def refused(self, kind: str) -> list[Mention]:
        return [m for m in self.mentions if m.kind == kind and m.negated]

    def english_gloss(self) -> str:
        """What was asked for, in English words ("calm happy cafe background music"), for an
        English-only encoder."""
        vocabulary = load_vocabulary()
        words = []
        for mention in self.mentions:
            if mention.negated:  # "no drums" would only pull the encoder toward drums
                continue
            if mention.kind in ("styles", "families"):
                word = vocabulary[mention.kind][mention.name]["label"]
            elif mention.kind == "uses":
                word = vocabulary["uses"][mention.name]["phrases"][0]
            elif mention.kind in ("moods", "instruments"):
                word = mention.name
            elif mention.kind == "shift":
                word = mention.name.replace("_", " ")
            else:
                continue
            if word not in words:
                words.append(word)
        return " ".join(words)


@dataclass(frozen=True)
class _Entry:
    kind: str
    name: str
    language: str


_LATIN = re.compile(f"[{LATIN_LETTER}]")
# Endings a longer Latin-script word may carry ("melancholischer", "tristes", "sombres"); short
# words only take an English plural.
LONG_ENDINGS = ("s", "es", "e", "er", "en", "em", "n", "a", "as", "os", "x", "")
SHORT_ENDINGS = ("s", "es", "")
COMPOUND_PART = 5  # the shortest word found inside a German compound


class _Scanner:
    """Finds the known words of a text left to right, the longest at each place first. A
    Latin-script word must start and end at a letter boundary ("rock" is not in "rocket", but
    "lofi" is in "lofi音乐"); words in scripts without spaces are found anywhere. (A dictionary
    indexed by the first two characters: building it takes milliseconds, where one regex of every
    word took two seconds to compile.)"""

    def __init__(self, words) -> None:
        self.by_prefix: dict[str, list[str]] = {}
        for word in sorted(words, key=len, reverse=True):
            self.by_prefix.setdefault(word[:2], []).append(word)

    def finditer(self, text: str, compounds: bool = False):
        """`compounds`: German-style compounds too ("Gospelchor", "Hochzeitsvideo"): a longer
        word may start or end inside a run of letters."""
        i = 0
        while i < len(text):
            found = self._longest_at(text, i, compounds)
            if found:
                end, word = found
                yield i, end, word
                i = end
            else:
                i += 1

    def _longest_at(self, text: str, i: int, compounds: bool = False) -> tuple[int, str] | None:
        """(where the longest known word at `i` ends, ending included; the word)."""
        after_letter = i > 0 and bool(_LATIN.match(text[i - 1]))
        for word in self.by_prefix.get(text[i : i + 2], []) + self.by_prefix.get(text[i], []):
            if not text.startswith(word, i):
                continue
            if after_letter and _LATIN.match(word[0]) and not (compounds and len(word) >= COMPOUND_PART):
                continue
            end = i + len(word)
            if not _LATIN.match(word[-1]) or (compounds and len(word) >= COMPOUND_PART):
                return end, word
            for ending in LONG_ENDINGS if len(word) >= 4 else SHORT_ENDINGS:
                stop = end + len(ending)
                if text.startswith(ending, end) and not (stop < len(text) and _LATIN.match(text[stop])):
                    return stop, word
        return None


@cache
def _lexicon() -> tuple[_Scanner, dict[str, list[_Entry]]]:
    """The scanner that finds every known word, and what each word stands for."""
    vocabulary = load_vocabulary()
    table: dict[str, list[_Entry]] = {}

    def add(word: str, entry: _Entry) -> None:
        key = normalize(word).strip()
        if key and entry not in table.setdefault(key, []):
            table[key].append(entry)

    for kind in ("styles", "moods", "uses", "instruments", "families"):
        for name, item in vocabulary[kind].items():
            for language, words in item.get("words", {}).items():
                for word in words:
                    add(word, _Entry(kind, name, language))
    for language, info in vocabulary["languages"].items():
        for factor, words in info["tempo_words"].items():
            for word in words:
                add(word, _Entry("tempo", factor, language))
        for direction in SHIFT_KINDS:
            for word in info.get(direction, []):
                add(word, _Entry("shift", direction, language))
        for meter, words in info.get("meters", {}).items():
            for word in words:
                add(word, _Entry("meter", meter, language))
        for kind, key in (
            ("negate_before", "negators_before"),
            ("negate_after", "negators_after"),
            ("intense", "intensifiers"),
            ("soft", "softeners"),
            ("limit", "limiters"),
            ("break", "clause_breaks"),
            ("stop", "stopwords"),
        ):
            for word in info.get(key, []):
                add(word, _Entry(kind, "", language))
    return _Scanner(table), table


def normalize(text: str) -> str:
    """Full-width forms folded (NFKC), lowercase, curly apostrophes straightened."""
    return unicodedata.normalize("NFKC", text).lower().replace("’", "'")


def _script_languages(text: str) -> Counter:
    counts: Counter = Counter()
    for char in text:
        code = ord(char)
        if 0x3040 <= code <= 0x30FF:
            counts["kana"] += 1
        elif 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
            counts["hangul"] += 1
        elif 0x0900 <= code <= 0x097F:
            counts["devanagari"] += 1
        elif 0x4E00 <= code <= 0x9FFF:
            counts["han"] += 1
        elif char.isalpha() and code < 0x250:
            counts["latin"] += 1
    return counts


def _languages(text: str, hits: list[tuple[int, int, list[_Entry]]]) -> list[str]:
    """Main language first. Scripts decide (kana means Japanese even among kanji); Latin-script
    text is told apart by the words of each language found in it."""
    scripts = _script_languages(text)
    votes: Counter = Counter()
    for script, language in SCRIPTS.items():
        if scripts[script]:
            votes[language] += 2 * scripts[script]
    if scripts["kana"]:
        votes["ja"] += votes.pop("zh", 0)
    latin_votes: Counter = Counter()
    for _, _, entries in hits:
        languages = {e.language for e in entries if e.language in ("en", "es", "pt", "fr", "de")}
        if "en" in languages:  # an English word inside another language ("afrobeat") is a loanword
            languages = {"en"}
        for language in languages:
            latin_votes[language] += 1.0 / len(languages)
    if scripts["latin"]:
        for language, count in latin_votes.items():
            votes[language] += count
        if not latin_votes:
            votes["en"] += 0.5
    ranked = [language for language, _ in votes.most_common()] or ["en"]
    native = [lang for lang in ranked if lang != "en"]
    if native and votes[native[0]] >= votes["en"] * 0.5:  # English genre words inside another language
        ranked.remove(native[0])
        ranked.insert(0, native[0])
    return ranked


def read_words(prompt: str) -> WordReading:
    text = normalize(prompt)
    scanner, table = _lexicon()
    hits = [(start, end, table[word]) for start, end, word in scanner.finditer(text)]
    languages = _languages(text, hits)
    if languages[0] == "de":  # read again, finding the words inside compounds
        hits = [(start, end, table[word]) for start, end, word in scanner.finditer(text, compounds=True)]
    mentions: list[Mention] = []
    modifiers: list[tuple[int, int, str]] = []  # (start, end, kind) of the little words
    for start, end, entries in hits:
        little = [e for e in entries if e.kind not in CONTENT_KINDS]
        content = [e for e in entries if e.kind in CONTENT_KINDS]
        if content:
            for entry in _preferred(content, languages):
                mentions.append(Mention(entry.kind, entry.name, prompt[start:end], start, end, entry.language))
        elif little:
            modifiers.append((start, end, little[0].kind))
    _apply_modifiers(text, prompt, mentions, modifiers)
    return WordReading(text=text, language=languages[0], languages=languages, mentions=mentions)


def _preferred(entries: list[_Entry], languages: list[str]) -> list[_Entry]:
    """One entry per kind: the one of the description's own language when a word means
    different things in two languages."""
    best: dict[str, _Entry] = {}
    for entry in entries:
        current = best.get(entry.kind)
        rank = languages.index(entry.language) if entry.language in languages else len(languages)
        if current is None or rank < (
            languages.index(current.language) if current.language in languages else len(languages)
        ):
            best[entry.kind] = entry
    return list(best.values())


def _apply_modifiers(text: str, prompt: str, mentions: list[Mention], modifiers: list[tuple[int, int, str]]) -> None:
    """Negators reach forward over a list ("no drums or bass") to the end of the clause;
    after-negators ("ドラムなし") act on the word just before; intensity words on the nearest word."""
    for start, end, kind in modifiers:
        if kind == "negate_before":
            previous_end = end
            for mention in sorted((m for m in mentions if m.start >= end), key=lambda m: m.start):
                gap = text[previous_end : mention.start]
                if CLAUSE_END.search(gap) or (previous_end != end and not LIST_GAP.match(gap.strip())):
                    break
                if previous_end == end and not _near(gap):  # "sin batería, muy lento": not this one
                    break
                if _has_break(text, previous_end, mention.start, modifiers):
                    break
                if mention.kind == "tempo":  # "not fast": held back rather than refused
                    mention.limited = True
                else:
                    mention.negated = True
                if previous_end == end:
                    _widen(mention, start, prompt)
                previous_end = mention.end
        elif kind == "negate_after":
            before = [m for m in mentions if m.end <= start and len(text[m.end : start].strip()) <= 3]
            if before:
                last_end = max(m.end for m in before)
                for mention in before:
                    if mention.end == last_end or text[mention.end : last_end].strip() in ("", "、", ",", "와", "과"):
                        mention.negated = True
                        if mention.end == last_end:
                            mention.word = prompt[mention.start : end].strip()
        elif kind in MODIFIER_DEGREE:
            after = [m for m in mentions if m.start >= end and len(text[end : m.start].strip()) <= 2]
            target = min(after, key=lambda m: m.start, default=None)
            if target is None:  # "chill af": the word before
                before = [m for m in mentions if m.end <= start and len(text[m.end : start].strip()) <= 1]
                target = max(before, key=lambda m: m.end, default=None)
            if target is not None:
                for mention in mentions:  # a word read as two kinds takes the modifier in both
                    if mention.start == target.start:
                        mention.degree = MODIFIER_DEGREE[kind]
                        mention.limited = mention.limited or kind == "limit"
                        if target.start >= end:
                            _widen(mention, start, prompt)
                        else:
                            mention.word = prompt[mention.start : end].strip()


def _near(gap: str) -> bool:
    """A negator reaches the next word across at most one short word ("without any drums",
    "sans la batterie", "没有任何鼓"), never across punctuation."""
    if re.search(r"[,.;:!?，。、；：！？]", gap):
        return False
    tokens = gap.split()
    if not tokens:
        return True
    if len(tokens) == 1 and not re.search(f"[{LATIN_LETTER}]", tokens[0]):
        return len(tokens[0]) <= 1 or tokens[0] in ("任何", "任何的", "一切")  # scripts without spaces
    return len(tokens) == 1 and len(tokens[0]) <= 5


def _widen(mention: Mention, start: int, prompt: str) -> None:
    """The mention's words include the little word before it ("not too fast", "no drums")."""
    mention.word = prompt[start : mention.end].strip()


def _has_break(text: str, start: int, end: int, modifiers: list[tuple[int, int, str]]) -> bool:
    return any(kind == "break" and start <= s and e <= end for s, e, kind in modifiers)
