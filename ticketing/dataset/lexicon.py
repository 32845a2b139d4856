"""Parse lexicon.yaml: words kept whole when segmenting, negations, urgency signs, synonym sets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ticketing.dataset.reader import Fields
from ticketing.dataset.yamlio import read_yaml


@dataclass(frozen=True)
class UrgencySign:
    """Text that makes a request urgent: one word of each group, e.g. (井盖,) and (丢, 不见)."""

    reason: str  # English, for the explanation: "open manhole"
    reason_zh: str
    groups: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Lexicon:
    """A district's own words: kept whole when segmenting, negations, urgency signs and synonym sets."""

    words: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    urgency: tuple[UrgencySign, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()


def read_lexicon(path: Path) -> Lexicon:
    """Return the lexicon of PATH, or an empty one when the district has no such file."""
    if not path.exists():
        return Lexicon()
    top = Fields(path, read_yaml(path), "").only("words", "negations", "urgency", "synonyms")
    words = top.strings("words", ())
    negations = top.strings("negations", ())
    signs = tuple(_sign(item) for item in top.mappings("urgency", []))
    synonyms: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for index, group, _line in top.items("synonyms", []):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(w, str) and w for w in group):
            raise top.item_fail("synonyms", top.raw("synonyms"), index,
                                "expected a list of two or more words")
        for word in group:
            if word in seen:
                raise top.item_fail("synonyms", top.raw("synonyms"), index,
                                    f"'{word}' is already in synonyms[{seen[word]}]")
            seen[word] = index
        synonyms.append(tuple(group))
    return Lexicon(words=words, negations=negations, urgency=signs, synonyms=tuple(synonyms))


def _sign(item: Fields) -> UrgencySign:
    item.only("reason", "reason_zh", "any", "all")
    if item.has("any") == item.has("all"):
        raise item.fail(None, "give either 'any' (a list of words) or 'all' (a list of word lists)")
    if item.has("any"):
        groups: tuple[tuple[str, ...], ...] = (item.strings("any"),)
    else:
        raw = item.raw("all")
        if not isinstance(raw, list) or len(raw) < 2:
            raise item.fail("all", "expected a list of two or more word lists")
        groups = tuple(_group(item, raw, index) for index in range(len(raw)))
    return UrgencySign(item.text("reason"), item.text("reason_zh"), groups)


def _group(item: Fields, raw: list, index: int) -> tuple[str, ...]:
    group = raw[index]
    if isinstance(group, str):
        group = [group]
    if not isinstance(group, list) or not group or not all(isinstance(w, str) and w.strip() for w in group):
        raise item.item_fail("all", raw, index, "expected a non-empty list of words")
    return tuple(w.strip() for w in group)
