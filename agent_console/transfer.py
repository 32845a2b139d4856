"""Where a consultation (warm transfer, three-way call) goes: a queue, an agent or a directory number.

The directory of outside numbers (110/120, bureaus' duty lines) is data (transfer_directory.yaml).
Choosing the dial plan place for a target is a pure decision, tested by a table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).parent
DEFAULT_DIRECTORY = HERE / "transfer_directory.yaml"
DIAL_DIGITS = re.compile(r"^\+?[0-9]{3,20}$")


class DirectoryError(ValueError):
    """The transfer directory file is unreadable or malformed."""


class UnknownTarget(ValueError):
    """The consultation target is neither a queue, an agent's extension nor a directory entry."""


@dataclass(frozen=True)
class DirectoryEntry:
    """An outside number an agent may consult: 110, 120, a bureau's duty line."""

    key: str
    name_zh: str
    name_en: str
    number: str

    def name(self, language: str) -> str:
        """Return the entry's name in the interface language."""
        return self.name_en if language == "en" and self.name_en else self.name_zh


@dataclass(frozen=True)
class Destination:
    """Where Asterisk dials the consultation: dial plan context and extension, and who it is."""

    context: str
    exten: str
    label: str
    kind: str  # queue, agent or outside


@dataclass(frozen=True)
class Contexts:
    """The dial plan contexts of each kind of target (from the console settings)."""

    queue: str = "hotline-queue"
    agent: str = "hotline-agents"
    outside: str = "hotline-outbound"


def load_directory(path: Path = DEFAULT_DIRECTORY) -> tuple[DirectoryEntry, ...]:
    """Read the directory; DirectoryError names the file and the problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        entries = tuple(DirectoryEntry(key=str(e["key"]), name_zh=str(e["name_zh"]),
                                       name_en=str(e.get("name_en", "")), number=str(e["number"]))
                        for e in raw)
    except (OSError, yaml.YAMLError, KeyError, TypeError) as err:
        raise DirectoryError(f"transfer directory {path}: {err}") from err
    bad = [e.key for e in entries if not DIAL_DIGITS.match(e.number)]
    if bad or len({e.key for e in entries}) != len(entries):
        raise DirectoryError(f"transfer directory {path}: bad numbers {bad} or duplicate keys")
    return entries


def destination(target: str, *, queues: list[str], extensions: list[str],
                directory: tuple[DirectoryEntry, ...], contexts: Contexts,
                language: str = "zh") -> Destination:
    """Return where a consultation with `target` is dialled; UnknownTarget when it is none of them."""
    target = target.strip()
    if target in queues:
        return Destination(contexts.queue, target, target, "queue")
    if target in extensions:
        return Destination(contexts.agent, target, target, "agent")
    for entry in directory:
        if target in (entry.key, entry.number):
            return Destination(contexts.outside, entry.number, entry.name(language), "outside")
    raise UnknownTarget(target)
