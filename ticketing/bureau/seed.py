"""Copy a district data set into the organisation tables (idempotent: insert or update by code)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Bureau, Category, Community, RoutingRule, Street
from ticketing.database.core import Base
from ticketing.dataset import Dataset


@dataclass
class SyncReport:
    """How many rows of each kind the data set has after a sync."""

    bureaus: int = 0
    streets: int = 0
    communities: int = 0
    categories: int = 0
    rules: int = 0


def sync_dataset(session: Session, dataset: Dataset) -> SyncReport:
    """Insert or update bureaus, streets, communities, categories and rules from `dataset`; flush."""
    bureaus = {
        b.code: _upsert(session, Bureau, b.code, name_zh=b.name_zh, name_en=b.name_en, kind=b.kind)
        for b in dataset.bureaus.values()
    }
    session.flush()
    report = SyncReport(bureaus=len(bureaus))
    for street in dataset.streets.values():
        office = bureaus.get(street.office)
        row = _upsert(
            session,
            Street,
            street.code,
            name_zh=street.name_zh,
            name_en=street.name_en,
            bureau_id=office.id if office else None,
        )
        session.flush()
        for community in street.communities:
            _upsert(
                session,
                Community,
                community.code,
                name_zh=community.name_zh,
                name_en=community.name_en,
                street_id=row.id,
            )
            report.communities += 1
        report.streets += 1
    report.categories = _sync_categories(session, dataset, bureaus)
    report.rules = _sync_rules(session, dataset)
    session.flush()
    return report


def _sync_categories(session: Session, dataset: Dataset, bureaus: dict[str, Bureau]) -> int:
    rows = {}
    for category in dataset.categories.values():
        default = bureaus.get(category.default_bureau)  # "$street" (local matters) has no fixed bureau
        rows[category.code] = _upsert(
            session,
            Category,
            category.code,
            name_zh=category.name_zh,
            name_en=category.name_en,
            sla_class=category.sla_class,
            dispatch_class=category.dispatch_class,
            keywords=list(category.keywords),
            default_bureau_id=default.id if default else None,
            active=True,
        )
    session.flush()
    for category in dataset.categories.values():
        parent = rows.get(category.parent) if category.parent else None
        rows[category.code].parent_id = parent.id if parent else None
    return len(rows)


def _sync_rules(session: Session, dataset: Dataset) -> int:
    codes = [rule.id for rule in dataset.rules]
    session.execute(delete(RoutingRule).where(RoutingRule.code.not_in(codes)))
    for position, rule in enumerate(dataset.rules, start=1):
        definition = json.loads(json.dumps(dataclasses.asdict(rule), default=str))
        _upsert(
            session,
            RoutingRule,
            rule.id,
            position=position,
            bureau_code=rule.bureau,
            description=rule.reason,
            definition=definition,
        )
    return len(codes)


def _upsert(session: Session, model: type[Base], code: str, **values):
    row = session.scalars(select(model).where(model.code == code)).first()
    if row is None:
        row = model(code=code, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    return row
