"""A district's reference data (bureaus, streets, categories, rules, SLA, calendar) read from YAML."""

from ticketing.dataset.errors import DatasetError
from ticketing.dataset.lexicon import Lexicon, UrgencySign
from ticketing.dataset.loader import load_dataset
from ticketing.dataset.model import (
    TARGET_DEFAULT,
    TARGET_STREET,
    TARGET_TRIAGE,
    Bureau,
    Category,
    Community,
    Condition,
    Dataset,
    Rule,
    Street,
    TimeWindow,
)

__all__ = [
    "TARGET_DEFAULT",
    "TARGET_STREET",
    "TARGET_TRIAGE",
    "Bureau",
    "Category",
    "Community",
    "Condition",
    "Dataset",
    "DatasetError",
    "Lexicon",
    "Rule",
    "Street",
    "TimeWindow",
    "UrgencySign",
    "load_dataset",
]
