"""The quality review checklist: data (qa_checklist.yaml of the district data set), checked on load."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

FILE = "qa_checklist.yaml"


class ChecklistError(ValueError):
    """The checklist file is missing or malformed, or a review does not fit it."""


@dataclass(frozen=True)
class Item:
    """One thing a reviewer listens for, worth up to `points`."""

    code: str
    name_zh: str
    name_en: str
    points: int
    guide: str = ""
    guide_en: str = ""  # the English page's words; the Chinese guide when the file has none


def parse_checklist(doc: object) -> tuple[Item, ...]:
    """Items of a checklist document (pure); raise ChecklistError saying what is wrong."""
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise ChecklistError("the QA checklist needs a non-empty `items` list")
    parsed = []
    for raw in items:
        try:
            item = Item(str(raw["code"]), str(raw["name_zh"]), str(raw["name_en"]), int(raw["points"]),
                        str(raw.get("guide", "")), str(raw.get("guide_en", "")))
        except (KeyError, TypeError, ValueError) as err:
            raise ChecklistError(f"QA checklist item {raw!r}: needs code, name_zh, name_en, points") from err
        if item.points < 1:
            raise ChecklistError(f"QA checklist item {item.code}: points must be at least 1")
        parsed.append(item)
    codes = [i.code for i in parsed]
    if len(set(codes)) != len(codes):
        raise ChecklistError(f"QA checklist codes repeat: {codes}")
    return tuple(parsed)


@lru_cache
def load_checklist(dataset_dir: Path) -> tuple[Item, ...]:
    """The checklist of a data set directory."""
    path = dataset_dir / FILE
    try:
        return parse_checklist(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise ChecklistError(f"no QA checklist at {path}: {err}") from err


def check_scores(items: tuple[Item, ...], scores: dict[str, int]) -> dict[str, int]:
    """Validate a review's scores against the checklist (pure): every item, each within 0..points."""
    known = {i.code: i for i in items}
    unknown = sorted(set(scores) - set(known))
    missing = [i.code for i in items if i.code not in scores]
    if unknown or missing:
        raise ChecklistError("scores must name every checklist item once"
                             + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                             + (f"; missing: {', '.join(missing)}" if missing else ""))
    for code, score in scores.items():
        if not 0 <= score <= known[code].points:
            raise ChecklistError(f"{code}: {score} is outside 0..{known[code].points}")
    return dict(scores)
