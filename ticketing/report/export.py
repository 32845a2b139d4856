"""CSV and XLSX files of a report table, produced piece by piece so a large table streams.

CSV rows are yielded as they are written (with a BOM so spreadsheet programs read the Chinese); the XLSX
workbook is written in openpyxl's write-only mode to a spooled file and read back in chunks.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook

from ticketing.report.tables import Table

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CHUNK = 64 * 1024
SPOOL = 8 * 1024 * 1024  # kept in memory up to this size, then on disk


class UnknownFormat(ValueError):
    """An export was asked in a format other than csv or xlsx."""


def headings(table: Table) -> list[str]:
    """Return the columns' headings, Chinese first, English second."""
    return [f"{c.heading('zh')} / {c.heading('en')}" for c in table.columns]


def lines(table: Table) -> Iterator[list[Any]]:
    """Yield the table's cells row by row: headings, the rows, then the total line."""
    yield headings(table)
    rows: Iterable[dict[str, Any]] = table.rows
    for row in rows:
        yield [_cell(row.get(c.key)) for c in table.columns]
    if table.total:
        yield [_cell(table.total.get(c.key)) for c in table.columns]


def _cell(value: Any) -> Any:
    return "" if value is None else value


def csv_chunks(table: Table) -> Iterator[bytes]:
    """Yield the table as UTF-8 CSV (with BOM), about CHUNK bytes at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for line in lines(table):
        writer.writerow(line)
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(table: Table) -> Iterator[bytes]:
    """Yield the table as an XLSX workbook (one sheet, title and period above the headings)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.name[:31])
    sheet.append([f"{table.title_zh} / {table.title_en}", table.period])
    for line in lines(table):
        sheet.append(line)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL) as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


def chunks(table: Table, fmt: str) -> Iterator[bytes]:
    """Yield TABLE in FMT (csv or xlsx); UnknownFormat otherwise."""
    if fmt == "csv":
        return csv_chunks(table)
    if fmt == "xlsx":
        return xlsx_chunks(table)
    raise UnknownFormat(f"unknown export format {fmt!r}: use csv or xlsx")


def filename(table: Table, fmt: str) -> str:
    """Return the download's file name, e.g. report-bureau-2026-11-01_2026-11-30.xlsx."""
    span = table.period.replace(" – ", "_")
    return f"report-{table.name}-{span}.{fmt}"
