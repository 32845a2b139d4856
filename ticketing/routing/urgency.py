"""Urgency from the words of a request: danger to life, gas, fire, collapse, open manholes, flooding, ..."""

from __future__ import annotations

from dataclasses import dataclass

from ticketing.dataset import Lexicon
from ticketing.routing.keywords import Hit, KeywordMatcher


@dataclass(frozen=True)
class Urgency:
    """One urgency sign found in a text: why (English and Chinese) and the words that showed it."""

    reason: str
    reason_zh: str
    words: tuple[str, ...]


def urgency_matcher(lexicon: Lexicon) -> KeywordMatcher:
    """Return a matcher whose owners are `<sign index>/<group index>`."""
    return KeywordMatcher(
        (f"{index}/{group_index}", word, 1.0)
        for index, sign in enumerate(lexicon.urgency)
        for group_index, group in enumerate(sign.groups)
        for word in group
    )


def detect_urgency(lexicon: Lexicon, hits: list[Hit]) -> tuple[Urgency, ...]:
    """Return the signs of LEXICON every group of which has a word among HITS, in lexicon order."""
    found: dict[str, list[Hit]] = {}
    for hit in sorted(hits, key=lambda h: h.start):
        found.setdefault(hit.owner, []).append(hit)
    signs = []
    for index, sign in enumerate(lexicon.urgency):
        groups = [found.get(f"{index}/{g}") for g in range(len(sign.groups))]
        if all(groups):
            words = tuple(dict.fromkeys(hit.keyword for group in groups for hit in group))
            signs.append(Urgency(sign.reason, sign.reason_zh, words))
    return tuple(signs)
