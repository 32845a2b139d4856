"""The district's reference data as frozen dataclasses: bureaus, streets, categories, routing rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Literal

from ticketing.dataset.lexicon import Lexicon
from ticketing.sla import SlaPolicy, WorkCalendar
from ticketing.sla.escalation import DEFAULT_RULES, EscalationRules

BureauKind = Literal["department", "street", "centre"]
SlaClass = Literal["urgent", "help", "complaint"]
DispatchClass = Literal["urgent", "utilities", "general"]

# Targets a rule may name instead of a bureau code.
TARGET_DEFAULT = "$default"  # the category's default bureau
TARGET_STREET = "$street"  # the street office of the caller's street (属地)
TARGET_TRIAGE = "$triage"  # the centre's triage queue
TARGETS = (TARGET_DEFAULT, TARGET_STREET, TARGET_TRIAGE)


@dataclass(frozen=True)
class Bureau:
    """An organisation that handles cases (承办单位): a department, a street office, or the centre."""

    code: str
    name_zh: str
    name_en: str
    kind: BureauKind


@dataclass(frozen=True)
class Community:
    """A community (社区) inside a street."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Street:
    """A street (街道) with its communities; its office is the bureau `street-<code>`."""

    code: str
    name_zh: str
    name_en: str
    communities: tuple[Community, ...] = ()

    @property
    def office(self) -> str:
        """Return the bureau code of this street's office."""
        return f"street-{self.code}"


@dataclass(frozen=True)
class Category:
    """A case category: default bureau, SLA classes and matching keywords (Chinese and English)."""

    code: str
    name_zh: str
    name_en: str
    parent: str | None
    default_bureau: str  # a bureau code, or "$street" for local matters (属地管理)
    sla_class: SlaClass
    dispatch_class: DispatchClass
    keywords: tuple[str, ...] = ()
    keyword_weights: tuple[float, ...] = ()  # same length as keywords

    def weight_of(self, index: int) -> float:
        """Return the weight of keyword number INDEX (1.0 unless the data file says otherwise)."""
        return self.keyword_weights[index] if index < len(self.keyword_weights) else 1.0


@dataclass(frozen=True)
class TimeWindow:
    """A local time-of-day window; when start > end it wraps midnight (22:00–06:00)."""

    start: time
    end: time

    def contains(self, at: time) -> bool:
        """Return whether AT falls in the window (start inclusive, end exclusive)."""
        if self.start <= self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


@dataclass(frozen=True)
class Condition:
    """What a rule requires; every field set must hold (an empty condition always holds)."""

    categories: tuple[str, ...] = ()  # the case's category or one of its ancestors is listed
    keywords_any: tuple[str, ...] = ()  # the text mentions at least one of these
    keywords_none: tuple[str, ...] = ()  # the text mentions none of these
    streets: tuple[str, ...] = ()
    hours: TimeWindow | None = None  # local time of the request
    working_time: bool | None = None  # inside (True) or outside (False) working time
    category_known: bool | None = None
    street_known: bool | None = None


@dataclass(frozen=True)
class Rule:
    """An ordered routing rule: when its condition holds, the case goes to its target."""

    id: str
    reason: str  # one English clause, the start of the decision's explanation
    when: Condition
    bureau: str  # a bureau code or one of TARGETS
    category: str | None = None  # re-categorise the case (e.g. night noise from a site)
    urgent: bool = False
    line: int = field(default=0, compare=False)
    reason_zh: str = ""  # the same clause in Chinese, for Chinese screens


@dataclass(frozen=True)
class Dataset:
    """Everything a district loads from its data directory."""

    name: str
    bureaus: dict[str, Bureau]
    streets: dict[str, Street]
    categories: dict[str, Category]
    rules: tuple[Rule, ...]
    calendar: WorkCalendar
    sla: SlaPolicy
    triage_bureau: str
    escalation: EscalationRules = DEFAULT_RULES  # supervision.yaml: 临期提醒, 超期, 催办, 督办
    lexicon: Lexicon = field(default_factory=Lexicon, compare=False)
    directory: Path | None = field(default=None, compare=False)  # where it was read from (seed files)

    def ancestors(self, category: str) -> tuple[str, ...]:
        """Return CATEGORY followed by its parent groups, nearest first."""
        chain: list[str] = []
        code: str | None = category
        while code is not None and code not in chain:
            chain.append(code)
            code = self.categories[code].parent if code in self.categories else None
        return tuple(chain)

    def leaf_categories(self) -> dict[str, Category]:
        """Return the categories that are no other category's parent."""
        parents = {c.parent for c in self.categories.values()}
        return {code: c for code, c in self.categories.items() if code not in parents}
