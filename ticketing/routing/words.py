"""Chinese word segmentation (jieba with the district's own words) and what a keyword hit may count as.

A Chinese keyword counts only where it lines up with word boundaries: 偷 is not found in 偷偷 ("secretly"),
while 施工 and 噪音 are found in 施工噪音 (a compound of two words) and 步行 in 步行街 (jieba's search mode
lists the dictionary words inside a longer word). A keyword right after a negation (不是工地) does not count.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import jieba

from ticketing.routing.keywords import WORD_RE

jieba.setLogLevel(logging.WARNING)
_PUNCTUATION = frozenset("，。！？；：、,.!?;:()（）“”\"' \n\t")
_ARTICLES = frozenset({"a", "an", "the", "from", "about", "by"})
_lock = threading.Lock()


@dataclass(frozen=True)
class Segmentation:
    """The words of one (normalised) text with their spans, and the negations that precede them."""

    words: tuple[tuple[str, int, int], ...]
    starts: frozenset[int]
    ends: frozenset[int]
    inner: frozenset[tuple[int, int]]  # dictionary words inside longer words (search mode)
    negated_at: dict[int, str]  # start of a word → the negation word right before it

    def aligned(self, start: int, end: int) -> bool:
        """Return whether START..END covers whole words, or is a dictionary word inside a longer one."""
        return (start in self.starts and end in self.ends) or (start, end) in self.inner

    def negation(self, start: int) -> str | None:
        """Return the negation word that applies to a keyword starting at START, if any."""
        return self.negated_at.get(start)


class Segmenter:
    """Split normalised text into words with jieba, the district's words added to its dictionary."""

    def __init__(self, words: Iterable[str], negations: Iterable[str]) -> None:
        self._tokenizer = jieba.Tokenizer()
        with _lock:  # jieba's initialize writes a shared cache file
            self._tokenizer.initialize()
        self._negations = frozenset(negations)
        for word in sorted(set(words) | self._negations):  # 不属于 is one word, not 不|属于
            if not word.isascii() and len(word) > 1:
                self._tokenizer.add_word(word)
        self._english_negations = frozenset(n for n in self._negations if n.isascii())

    def segment(self, folded: str) -> Segmentation:
        """Return the segmentation of FOLDED (text already passed through normalise())."""
        words, places = _place_names(tuple(self._tokenizer.tokenize(folded, HMM=False)))
        inner = frozenset(self._inner_spans(words, places))
        # Boundaries of the words and of the dictionary words inside them: jieba picks one reading of
        # 校外培训机构 (校外培训|机构), the keyword 培训机构 of the other reading still lines up.
        return Segmentation(
            words=words,
            starts=frozenset(start for start, _ in inner),
            ends=frozenset(end for _, end in inner),
            inner=inner,
            negated_at=self._negated(words, folded),
        )

    def _inner_spans(self, words: tuple[tuple[str, int, int], ...],
                     places: frozenset[int] = frozenset()) -> list[tuple[int, int]]:
        """Return the spans of the words and of the 2- and 3-character dictionary words inside longer ones
        (not inside place names: 燃气 in 燃气大厦 is an address, not a gas complaint)."""
        spans = [(start, end) for _, start, end in words]
        frequency = self._tokenizer.FREQ
        for word, start, end in words:
            if start in places:
                continue
            for size in (2, 3):
                if end - start <= size:
                    continue
                spans.extend((start + i, start + i + size) for i in range(end - start - size + 1)
                             if frequency.get(word[i:i + size]))
        return spans

    def _negated(self, words: tuple[tuple[str, int, int], ...], folded: str) -> dict[int, str]:
        """Map the start of each word in a negation's reach (next two words, same clause) to the negation."""
        negated: dict[int, str] = {}
        for index, (word, _, _) in enumerate(words):
            if word not in self._negations or word in self._english_negations:
                continue
            for following, start, _ in words[index + 1:index + 3]:
                if following in _PUNCTUATION or following in self._negations:
                    break
                negated.setdefault(start, word)
        if self._english_negations:
            self._negated_english(folded, negated)
        return negated

    def _negated_english(self, folded: str, negated: dict[int, str]) -> None:
        """Mark the word after an English negation ("not a building site"), skipping an article."""
        matches = list(WORD_RE.finditer(folded))
        for index, match in enumerate(matches):
            if match.group() not in self._english_negations:
                continue
            previous_end = match.end()
            for following in matches[index + 1:index + 3]:
                if folded[previous_end:following.start()].strip(" "):
                    break  # punctuation ends the negation's reach
                negated.setdefault(following.start(), match.group())
                if following.group() not in _ARTICLES:
                    break
                previous_end = following.end()


# A word followed by one of these is a place (学校路, 燃气大厦, 公安局宿舍): the words inside an address are
# not what the caller complains about.
PLACE_SUFFIXES = frozenset({"路", "街", "大道", "大厦", "大楼", "宿舍", "公寓", "新村", "大院", "广场"})


def _place_names(words: tuple[tuple[str, int, int], ...]) -> tuple[tuple[tuple[str, int, int], ...],
                                                                   frozenset[int]]:
    """Join a Chinese word of two or more characters with a place suffix after it into one place name;
    return the words and the starts of the place names."""
    joined: list[tuple[str, int, int]] = []
    places: set[int] = set()
    for word, start, end in words:
        if word in PLACE_SUFFIXES and joined:
            previous, first, last = joined[-1]
            if last == start and len(previous) >= 2 and not previous.isascii() and first not in places:
                joined[-1] = (previous + word, first, end)
                places.add(first)
                continue
        joined.append((word, start, end))
    return tuple(joined), frozenset(places)


_segmenters: dict[tuple[tuple[str, ...], tuple[str, ...]], Segmenter] = {}
_building = threading.Lock()


def segmenter_for(words: tuple[str, ...], negations: tuple[str, ...]) -> Segmenter:
    """Return the segmenter of a word list, built once per process (building one takes about a second).

    Built under a lock: with a plain cache, the first 20 concurrent intakes each built their own, one after
    another on jieba's lock, for minutes on a loaded machine while holding their database connections.
    """
    key = (words, negations)
    found = _segmenters.get(key)
    if found is None:
        with _building:
            found = _segmenters.get(key)
            if found is None:
                if len(_segmenters) >= 4:
                    _segmenters.clear()
                found = _segmenters[key] = Segmenter(words, negations)
    return found
