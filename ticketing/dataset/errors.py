"""The one error a district's data files raise: it names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path


class DatasetError(ValueError):
    """A data file is missing, malformed or inconsistent; str() reads `file:line: field: message`."""

    def __init__(self, file: Path | str, line: int | None, field: str | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
