"""The README's commands work on a fresh install: no case number that only the author's database had."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_no_fixed_case_number_is_keyed_in():
    commands = [line for line in README.read_text(encoding="utf-8").splitlines() if "hotline call" in line]
    keyed = [line for line in commands if re.search(r"\b\d{12}#", line) or re.search(r"FT\d{8}-\d{4}", line)]
    assert commands and not keyed, keyed
