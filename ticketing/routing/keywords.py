"""Keyword spotting for Chinese text without spaces (n-gram lookup) and English (stemmed word n-grams)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalise(text: str) -> str:
    """Return TEXT with full-width forms folded (NFKC) and case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def stem(word: str) -> str:
    """Return a crude English stem: plural, -ed, -ing and final -e removed (text and keywords alike)."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and (word.endswith(("sses", "ches", "shes", "xes", "zes")) or word.endswith("uses")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ed"):
        word = word[:-2]
    elif len(word) > 7 and word.endswith("ing"):
        word = word[:-3]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def is_english(keyword: str) -> bool:
    """Return whether KEYWORD is matched as English words (ASCII only) rather than as a substring."""
    return keyword.isascii()


@dataclass(frozen=True)
class Hit:
    """One keyword found in a text: who owns it, the keyword as written in the data, its weight and span."""

    owner: str
    keyword: str
    weight: float
    start: int
    end: int


class KeywordMatcher:
    """Find the keywords of many owners (categories, rules) in one pass over a text."""

    def __init__(self, entries: Iterable[tuple[str, str, float]]) -> None:
        self._cjk: dict[str, list[tuple[str, str, float]]] = {}
        self._english: dict[tuple[str, ...], list[tuple[str, str, float]]] = {}
        for owner, keyword, weight in entries:
            key = normalise(keyword)
            if is_english(key):
                words = tuple(stem(w) for w in WORD_RE.findall(key))
                if words:
                    _add_once(self._english.setdefault(words, []), owner, keyword, weight)
            else:
                _add_once(self._cjk.setdefault(key, []), owner, keyword, weight)
        self._lengths = sorted({len(k) for k in self._cjk}, reverse=True)
        self._first_chars = frozenset(k[0] for k in self._cjk)
        self._max_words = max((len(k) for k in self._english), default=0)

    def find(self, text: str) -> list[Hit]:
        """Return the hits in TEXT; a hit inside a longer hit's span is dropped (施工 in 施工噪音)."""
        folded = normalise(text)
        hits = self._find_cjk(folded) + self._find_english(folded)
        if len(hits) > 1:
            hits = [h for h in hits if not any(_inside(h, other) for other in hits)]
        return hits

    def _find_cjk(self, text: str) -> list[Hit]:
        hits: list[Hit] = []
        lookup, first_chars, size = self._cjk.get, self._first_chars, len(text)
        for start, char in enumerate(text):
            if char not in first_chars:
                continue
            for length in self._lengths:
                if start + length > size:
                    continue
                owners = lookup(text[start:start + length])
                if owners:
                    hits.extend(Hit(o, k, w, start, start + length) for o, k, w in owners)
        return hits

    def _find_english(self, text: str) -> list[Hit]:
        if not self._english:
            return []
        words = [(m.start(), m.end(), stem(m.group())) for m in WORD_RE.finditer(text)]
        hits: list[Hit] = []
        for i in range(len(words)):
            for n in range(1, min(self._max_words, len(words) - i) + 1):
                owners = self._english.get(tuple(w[2] for w in words[i:i + n]))
                if owners:
                    start, end = words[i][0], words[i + n - 1][1]
                    hits.extend(Hit(o, k, w, start, end) for o, k, w in owners)
        return hits


def _add_once(owners: list[tuple[str, str, float]], owner: str, keyword: str, weight: float) -> None:
    """Add OWNER's KEYWORD unless OWNER already has a keyword with the same form (flood / flooding)."""
    if all(existing != owner for existing, _, _ in owners):
        owners.append((owner, keyword, weight))


def _inside(hit: Hit, other: Hit) -> bool:
    """Return whether HIT's span lies within OTHER's and OTHER is longer."""
    longer = (other.end - other.start) > (hit.end - hit.start)
    return longer and other.start <= hit.start and hit.end <= other.end
