"""Input types that refuse what the database or the calendar cannot hold, before any SQL runs.

PostgreSQL stores no NUL characters and no integers past 64 bits, and a date at year 1 or 9999 overflows
when it is moved to UTC: each gave a 500. These types turn them into 422s that name the field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator

BIGINT_MAX = 2**63 - 1  # largest id, offset or count the database stores
MAX_PAGE = 1_000_000  # page numbers past this name no real page (and their offset overflows)
MIN_YEAR, MAX_YEAR = 1900, 2999  # dates outside are typing errors, and year 1/9999 overflow in UTC


def check_moment(value: datetime) -> datetime:
    """Accept a datetime with a UTC offset within MIN_YEAR..MAX_YEAR."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a timezone (UTC offset), e.g. 2026-11-26T09:00:00+08:00 or ...Z")
    return check_day(value)


def check_day(value: date) -> date:
    """Accept a date within MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"year {value.year} is outside {MIN_YEAR}-{MAX_YEAR}")
    return value


def check_text(value: str) -> str:
    """Accept text without NUL characters (PostgreSQL refuses them)."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


Moment = Annotated[datetime, AfterValidator(check_moment)]
Day = Annotated[date, AfterValidator(check_day)]
Text = Annotated[str, AfterValidator(check_text)]
