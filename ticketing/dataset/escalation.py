"""Parse supervision.yaml: the due actions of each stage's deadline (临期提醒, 超期, 催办, 督办)."""

from __future__ import annotations

from pathlib import Path

from ticketing.dataset.reader import Fields
from ticketing.dataset.timing import _limit
from ticketing.dataset.yamlio import read_yaml
from ticketing.sla.escalation import DEFAULT_RULES, STAGES, STEP_KINDS, EscalationRules, EscalationStep


def read_escalation(path: Path) -> EscalationRules:
    """Return the rules of PATH, or the defaults (reminder at 80 %, overdue) when the file is absent."""
    if not path.is_file():
        return DEFAULT_RULES
    top = Fields(path, read_yaml(path), "").only("stages", "answer_within")
    stages = top.sub("stages").only(*STAGES)
    rules = {name: _steps(stages, name) for name in STAGES if stages.has(name)}
    return EscalationRules(stages=rules, answer_within=_limit(top.sub("answer_within")))


def _steps(stages: Fields, name: str) -> tuple[EscalationStep, ...]:
    steps: list[EscalationStep] = []
    for item in stages.mappings(name):
        item.only("kind", "share", "after_due")
        kind = item.choice("kind", STEP_KINDS)
        if item.has("share") == item.has("after_due"):
            raise item.fail("kind", "give one of share (of the limit) or after_due (past the deadline)")
        if item.has("share"):
            share = float(item.number("share"))
            if share > 1:
                raise item.fail("share", f"must be at most 1 (a share of the limit), got {share}")
            step = EscalationStep(kind, share=share)
        else:
            step = EscalationStep(kind, after_due=_limit(item.sub("after_due")))
        if any(s.kind == kind for s in steps):
            raise item.fail("kind", f"'{kind}' is listed twice for stage {name}")
        steps.append(step)
    return tuple(steps)
