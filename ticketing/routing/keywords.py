"""Keyword spotting for Chinese text without spaces (n-gram lookup) and English (stemmed word n-grams)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalise(text: str) -> str:
    """Return TEXT with full-width forms folded (NFKC) and case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=8192)
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


class WordBoundaries(Protocol):
    """A text's segmentation as the matcher sees it (ticketing.routing.words.Segmentation)."""

    def aligned(self, start: int, end: int) -> bool: ...

    def negation(self, start: int) -> str | None: ...


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
        # Keyword lengths (characters, or words) by first character (or first stemmed word): at each
        # position of a text only the lengths of keywords that can start there are looked up.
        self._cjk_lengths = _lengths_by_first(self._cjk, len)
        self._english_lengths = _lengths_by_first(self._english, len)

    def find(self, text: str, folded: str | None = None, words: WordBoundaries | None = None) -> list[Hit]:
        """Return the hits in TEXT (FOLDED: its normalise() if already computed).

        With WORDS (the text's segmentation) a Chinese keyword counts only on word boundaries and no
        keyword counts right after a negation; without, Chinese keywords match as substrings.
        A hit inside a longer hit's span is dropped (施工 in 施工噪音).
        """
        return self.spot(text, folded, words)[0]

    def spot(self, text: str, folded: str | None = None,
             words: WordBoundaries | None = None) -> tuple[list[Hit], list[tuple[Hit, str]]]:
        """Return the hits in TEXT and the hits dropped for a negation (with the negation word)."""
        folded = normalise(text) if folded is None else folded
        hits = self._find_cjk(folded)
        negated: list[tuple[Hit, str]] = []
        if words is not None:
            hits = [h for h in hits if words.aligned(h.start, h.end)]
        if self._english:
            hits += self._find_english(folded)
        if words is not None:
            negated = [(h, n) for h in hits if (n := words.negation(h.start)) is not None]
            hits = [h for h in hits if words.negation(h.start) is None]
        if len(hits) > 1:
            hits = [h for h in hits if not any(_inside(h, other) for other in hits)]
        return hits, negated

    def _find_cjk(self, text: str) -> list[Hit]:
        hits: list[Hit] = []
        lookup, lengths_of, size = self._cjk.get, self._cjk_lengths.get, len(text)
        for start, char in enumerate(text):
            for length in lengths_of(char, ()):
                if start + length > size:
                    continue
                owners = lookup(text[start:start + length])
                if owners:
                    hits.extend(Hit(o, k, w, start, start + length) for o, k, w in owners)
        return hits

    def _find_english(self, text: str) -> list[Hit]:
        words = [(m.start(), m.end(), stem(m.group())) for m in WORD_RE.finditer(text)]
        stems = [w[2] for w in words]
        hits: list[Hit] = []
        for i, first in enumerate(stems):
            for n in self._english_lengths.get(first, ()):
                owners = self._english.get(tuple(stems[i:i + n])) if i + n <= len(stems) else None
                if owners:
                    start, end = words[i][0], words[i + n - 1][1]
                    hits.extend(Hit(o, k, w, start, end) for o, k, w in owners)
        return hits


def _lengths_by_first(keys: Iterable[Sequence[str]], size: Callable[[Sequence[str]], int]) -> dict:
    """Return, for each first element of KEYS, the sizes of the keys starting with it, longest first."""
    lengths: dict = {}
    for key in keys:
        lengths.setdefault(key[0], set()).add(size(key))
    return {first: tuple(sorted(found, reverse=True)) for first, found in lengths.items()}


def _add_once(owners: list[tuple[str, str, float]], owner: str, keyword: str, weight: float) -> None:
    """Add OWNER's KEYWORD unless OWNER already has a keyword with the same form (flood / flooding)."""
    if all(existing != owner for existing, _, _ in owners):
        owners.append((owner, keyword, weight))


def _inside(hit: Hit, other: Hit) -> bool:
    """Return whether HIT's span lies within OTHER's and OTHER is longer."""
    longer = (other.end - other.start) > (hit.end - hit.start)
    return longer and other.start <= hit.start and hit.end <= other.end
