"""Typed access to one YAML mapping, every failure a DatasetError naming file, line and field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path
from typing import Any

from ticketing.dataset.errors import DatasetError
from ticketing.dataset.yamlio import LineList, LineMap

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_MISSING = object()


class Fields:
    """One mapping of a data file: `field` is its path in the file, e.g. `categories[3]`."""

    def __init__(self, file: Path, node: Any, field: str, line: int | None = None) -> None:
        self.file = file
        self.field = field
        if not isinstance(node, dict):
            raise DatasetError(file, line, field, f"expected a mapping, got {_kind(node)}")
        self.node: LineMap = node
        self.line = getattr(node, "line", line)

    def fail(self, key: str | None, message: str) -> DatasetError:
        """Return the error for KEY (or the whole mapping) with the line it sits on."""
        line = self.node.key_lines.get(key, self.line) if key is not None else self.line
        return DatasetError(self.file, line, self._path(key), message)

    def only(self, *allowed: str) -> Fields:
        """Refuse keys outside ALLOWED (a typo is an error, not a silently ignored field)."""
        for key in self.node:
            if key not in allowed:
                raise self.fail(key, f"unknown key (allowed: {', '.join(allowed)})")
        return self

    def has(self, key: str) -> bool:
        """Return whether KEY is present."""
        return key in self.node

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """Return KEY's value as parsed; a missing required key is an error."""
        if key not in self.node:
            if default is _MISSING:
                raise self.fail(None, f"missing required key '{key}'") from None
            return default
        return self.node[key]

    def text(self, key: str, default: Any = _MISSING) -> str:
        """Return KEY as a non-empty string."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def code(self, key: str, default: Any = _MISSING) -> str:
        """Return KEY as a code: lower-case letters, digits and dashes."""
        value = self.text(key, default)
        if value is default and default is not _MISSING:
            return value
        if not CODE_RE.match(value):
            raise self.fail(key, f"'{value}' is not a code (lower-case letters, digits, dashes)")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _MISSING) -> str:
        """Return KEY, which must be one of CHOICES."""
        value = self.raw(key, default)
        if value not in choices:
            raise self.fail(key, f"'{value}' is not one of {', '.join(choices)}")
        return value

    def number(self, key: str, default: Any = _MISSING, *, positive: bool = True) -> float:
        """Return KEY as a number (> 0 when POSITIVE)."""
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {_kind(value)}")
        if positive and value <= 0:
            raise self.fail(key, f"must be greater than 0, got {value}")
        return value

    def flag(self, key: str, default: Any = _MISSING) -> bool:
        """Return KEY as true/false."""
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_kind(value)}")
        return value

    def clock_time(self, key: str) -> time:
        """Return KEY as a local time written "HH:MM" (quoted, so YAML keeps it a string)."""
        value = self.raw(key)
        match = TIME_RE.match(value) if isinstance(value, str) else None
        if match is None:
            raise self.fail(key, f"bad time {value!r}: write \"HH:MM\" in quotes, 00:00 to 23:59")
        return time(int(match.group(1)), int(match.group(2)))

    def day(self, key: str) -> date:
        """Return KEY as a date written YYYY-MM-DD."""
        value = self.raw(key)
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, f"bad date {value!r}: write YYYY-MM-DD") from None

    def strings(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        """Return KEY as a list of non-empty strings (a single string is a list of one)."""
        value = self.raw(key, default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise self.fail(key, f"expected a list of strings, got {_kind(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.item_fail(key, value, index, f"expected a non-empty string, got {_kind(item)}")
        return tuple(item.strip() for item in value)

    def items(self, key: str, default: Any = _MISSING) -> Iterator[tuple[int, Any, int]]:
        """Yield (index, item, line) of the list under KEY."""
        value = self.raw(key, default)
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {_kind(value)}")
        lines = getattr(value, "item_lines", None) or [self.line] * len(value)
        for index, item in enumerate(value):
            yield index, item, lines[index]

    def mappings(self, key: str, default: Any = _MISSING) -> Iterator[Fields]:
        """Yield each mapping of the list under KEY as Fields."""
        for index, item, line in self.items(key, default):
            yield Fields(self.file, item, f"{self._path(key)}[{index}]", line)

    def sub(self, key: str) -> Fields:
        """Return the mapping under KEY as Fields."""
        return Fields(self.file, self.raw(key), self._path(key), self.node.key_lines.get(key, self.line))

    def item_fail(self, key: str, items: list, index: int, message: str) -> DatasetError:
        """Return the error for item INDEX of the list under KEY."""
        lines = items.item_lines if isinstance(items, LineList) else []
        line = lines[index] if index < len(lines) else self.node.key_lines.get(key, self.line)
        return DatasetError(self.file, line, f"{self._path(key)}[{index}]", message)

    def _path(self, key: str | None) -> str:
        if key is None:
            return self.field
        return f"{self.field}.{key}" if self.field else key


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
