"""Load a district's data directory into one validated, frozen Dataset."""

from __future__ import annotations

import logging
from pathlib import Path

from ticketing.dataset.errors import DatasetError
from ticketing.dataset.escalation import read_escalation
from ticketing.dataset.lexicon import read_lexicon
from ticketing.dataset.model import Dataset
from ticketing.dataset.reference import read_bureaus, read_categories, read_streets
from ticketing.dataset.rules import read_rules
from ticketing.dataset.timing import read_calendar, read_sla

log = logging.getLogger(__name__)


def load_dataset(directory: Path) -> Dataset:
    """Read and check bureaus, streets, categories, rules, sla and calendar files under DIRECTORY."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError(directory, None, None, "data directory does not exist")
    bureaus, triage = read_bureaus(directory / "bureaus.yaml")
    streets = read_streets(directory / "streets.yaml", bureaus)
    categories = read_categories(directory / "categories.yaml", bureaus)
    rules = read_rules(directory / "rules.yaml", bureaus, streets, categories)
    policy, zone, periods, weekdays = read_sla(directory / "sla.yaml")
    calendar = read_calendar(directory / "calendar", zone, periods, weekdays)
    lexicon = read_lexicon(directory / "lexicon.yaml")
    log.info("loaded dataset %s: %s bureaus, %s streets, %s categories, %s rules, calendar years %s",
             directory.name, len(bureaus), len(streets), len(categories), len(rules), sorted(calendar.years))
    if calendar.provisional_years:
        log.warning("calendar years %s of dataset %s are provisional: check them against the official notice",
                    sorted(calendar.provisional_years), directory.name)
    return Dataset(
        name=directory.name, bureaus=bureaus, streets=streets, categories=categories, rules=rules,
        calendar=calendar, sla=policy, triage_bureau=triage,
        escalation=read_escalation(directory / "supervision.yaml"), lexicon=lexicon,
        directory=directory,
    )
