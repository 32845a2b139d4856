"""Suggest a category from free text by weighted keyword scores, ties broken deterministically."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ticketing.dataset import Category
from ticketing.routing.keywords import Hit, KeywordMatcher

_CACHE_SIZE = 8
# Matchers built per categories mapping; the mapping itself is kept so that its id cannot be reused.
_matchers: dict[int, tuple[Mapping[str, Category], KeywordMatcher]] = {}


@dataclass(frozen=True)
class CategorySuggestion:
    """The best category for a text, its score (sum of keyword weights) and the keywords that matched."""

    code: str
    score: float
    matched: tuple[str, ...]
    confidence: float = 0.0


def matcher_for(categories: Mapping[str, Category]) -> KeywordMatcher:
    """Return the keyword matcher of CATEGORIES, built once per mapping object."""
    cached = _matchers.get(id(categories))
    if cached is not None and cached[0] is categories:
        return cached[1]
    matcher = KeywordMatcher(
        (code, keyword, category.weight_of(i))
        for code, category in categories.items()
        for i, keyword in enumerate(category.keywords)
    )
    if len(_matchers) >= _CACHE_SIZE:
        _matchers.pop(next(iter(_matchers)))
    _matchers[id(categories)] = (categories, matcher)
    return matcher


def suggest_category(categories: Mapping[str, Category], text: str) -> CategorySuggestion | None:
    """Return the best-scoring category for TEXT, or None when no keyword matches."""
    return rank(matcher_for(categories).find(text))


def rank(hits: list[Hit]) -> CategorySuggestion | None:
    """Return the winner among HITS: highest score, then most keywords, then longest text, then code."""
    per_owner: dict[str, dict[str, Hit]] = {}
    for hit in hits:
        per_owner.setdefault(hit.owner, {}).setdefault(hit.keyword, hit)
    if not per_owner:
        return None
    scored = sorted((_sort_key(code, found), code, found) for code, found in per_owner.items())
    best_key, best_code, best_hits = scored[0]
    runner_up = -scored[1][0][0] if len(scored) > 1 else 0.0
    score = -best_key[0]
    matched = tuple(sorted(best_hits, key=lambda k: best_hits[k].start))
    confidence = round(score / (score + runner_up + 1.0), 2)
    return CategorySuggestion(best_code, score, matched, confidence)


def _sort_key(code: str, found: dict[str, Hit]) -> tuple[float, int, int]:
    score = sum(h.weight for h in found.values())
    covered = sum(h.end - h.start for h in found.values())
    return (-score, -len(found), -covered)
