"""Parse rules.yaml: ordered routing rules, every code they name checked against the other files."""

from __future__ import annotations

from pathlib import Path

from ticketing.dataset.model import TARGETS, Bureau, Category, Condition, Rule, Street, TimeWindow
from ticketing.dataset.reader import Fields
from ticketing.dataset.yamlio import read_yaml

CONDITION_KEYS = ("category", "keywords_any", "keywords_none", "street", "hours", "working_time",
                  "category_known", "street_known")


def read_rules(path: Path, bureaus: dict[str, Bureau], streets: dict[str, Street],
               categories: dict[str, Category]) -> tuple[Rule, ...]:
    """Return the rules in file order; the last must hold always and name a fixed target."""
    top = Fields(path, read_yaml(path), "").only("rules")
    rules: list[Rule] = []
    ids: set[str] = set()
    last: Fields | None = None
    for item in top.mappings("rules"):
        item.only("id", "reason", "reason_zh", "when", "then")
        rule_id = item.code("id")
        if rule_id in ids:
            raise item.fail("id", f"duplicate rule id '{rule_id}'")
        ids.add(rule_id)
        when = _condition(item.sub("when"), streets, categories) if item.has("when") else Condition()
        then = item.sub("then").only("bureau", "category", "urgent")
        bureau = then.text("bureau")
        if bureau not in bureaus and bureau not in TARGETS:
            raise then.fail("bureau", f"unknown bureau '{bureau}' (or use {', '.join(TARGETS)})")
        category = then.code("category", None)
        if category is not None and category not in categories:
            raise then.fail("category", f"unknown category '{category}'")
        rules.append(Rule(rule_id, item.text("reason"), when, bureau, category, then.flag("urgent", False),
                          line=item.line or 0, reason_zh=item.text("reason_zh", "")))
        last = item
    if last is None:
        raise top.fail("rules", "no rules: the file needs at least the final triage rule")
    final = rules[-1]
    if final.when != Condition() or final.bureau in ("$default", "$street"):
        raise last.fail("id", "the last rule must have no condition and send to a fixed bureau or $triage, "
                              "so that every request is routed")
    return tuple(rules)


def _condition(when: Fields, streets: dict[str, Street], categories: dict[str, Category]) -> Condition:
    when.only(*CONDITION_KEYS)
    wanted_categories = when.strings("category", ())
    for code in wanted_categories:
        if code not in categories:
            raise when.fail("category", f"unknown category '{code}'")
    wanted_streets = when.strings("street", ())
    for code in wanted_streets:
        if code not in streets:
            raise when.fail("street", f"unknown street '{code}'")
    hours = None
    if when.has("hours"):
        window = when.sub("hours").only("from", "to")
        hours = TimeWindow(window.clock_time("from"), window.clock_time("to"))
        if hours.start == hours.end:
            raise window.fail("to", "the window is empty: 'from' equals 'to'")
    return Condition(
        categories=wanted_categories,
        keywords_any=when.strings("keywords_any", ()),
        keywords_none=when.strings("keywords_none", ()),
        streets=wanted_streets,
        hours=hours,
        working_time=when.flag("working_time", None) if when.has("working_time") else None,
        category_known=when.flag("category_known") if when.has("category_known") else None,
        street_known=when.flag("street_known") if when.has("street_known") else None,
    )
