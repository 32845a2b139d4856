"""Dataset loading: the shipped Futian sample is complete, and every kind of bad file is named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ticketing.config import PACKAGE_DATA
from ticketing.dataset import DatasetError, load_dataset

FUTIAN = PACKAGE_DATA / "futian"
DEPARTMENTS = {
    "civil-affairs",
    "urban-mgmt",
    "environment",
    "police",
    "traffic-police",
    "transport",
    "health",
    "education",
    "housing",
    "hr-social",
    "market",
    "water",
    "emergency-mgmt",
    "culture-sports",
}
STREETS = {
    "yuanling",
    "nanyuan",
    "futian",
    "shatou",
    "meilin",
    "huafu",
    "xiangmihu",
    "lianhua",
    "huaqiangbei",
    "fubao",
}


@pytest.fixture(scope="module")
def futian():
    """The Futian sample as shipped."""
    return load_dataset(FUTIAN)


def test_bureaus_and_streets(futian):
    kinds = {code: b.kind for code, b in futian.bureaus.items()}
    assert {c for c, k in kinds.items() if k == "department"} == DEPARTMENTS
    assert {c for c, k in kinds.items() if k == "street"} == {f"street-{s}" for s in STREETS}
    assert futian.triage_bureau == "centre-triage" and kinds["centre-triage"] == "centre"
    assert set(futian.streets) == STREETS
    assert all(2 <= len(s.communities) <= 4 for s in futian.streets.values())


def test_categories_cover_every_department_in_both_languages(futian):
    leaves = futian.leaf_categories()
    assert len(leaves) >= 24
    for category in leaves.values():
        assert any(not k.isascii() for k in category.keywords), category.code
        assert any(k.isascii() for k in category.keywords), category.code
        assert len(category.keyword_weights) == len(category.keywords)
    assert DEPARTMENTS <= {c.default_bureau for c in leaves.values()}
    assert futian.ancestors("noise-construction") == ("noise-construction", "noise")


def test_rules_end_with_the_fallbacks(futian):
    assert [r.id for r in futian.rules[-3:]] == ["category-default", "street-office", "triage"]
    assert futian.rules[0].line > 1


def _line_of(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


# (file to edit, text, replacement, file named in the error, marker of the line named, field, message)
BAD_FILES = [
    (
        "categories.yaml",
        "default_bureau: hr-social\n",
        "default_bureau: hr-socia1\n",
        None,
        "hr-socia1",
        ".default_bureau",
        "unknown bureau 'hr-socia1'",
    ),
    (
        "rules.yaml",
        "category: [unpaid-wages]",
        "category: [unpaid-wage]",
        None,
        "[unpaid-wage]",
        "rules[4].when.category",
        "unknown category 'unpaid-wage'",
    ),
    (
        "bureaus.yaml",
        "{code: urban-mgmt, kind",
        "{code: civil-affairs, kind",
        None,
        "District Urban",
        "bureaus[1].code",
        "duplicate code 'civil-affairs'",
    ),
    (
        "rules.yaml",
        '      hours: {from: "22:00"',
        '      hours: {from: "25:00"',
        None,
        '"25:00"',
        "rules[0].when.hours.from",
        "bad time '25:00'",
    ),
    (
        "rules.yaml",
        '      hours: {from: "22:00"',
        "      hours: {from: 22:00",
        None,
        "from: 22:00",
        ".hours.from",
        "bad time",
    ),
    (
        "categories.yaml",
        "    sla_class: urgent\n",
        "    sla_class: critical\n",
        None,
        "critical",
        ".sla_class",
        "'critical' is not one of urgent, help, complaint",
    ),
    (
        "categories.yaml",
        "    keywords: [{油烟",
        "    keyword: [{油烟",
        None,
        "keyword: [{油烟",
        ".keyword",
        "unknown key",
    ),
    (
        "categories.yaml",
        "[{油烟: 2}, {餐馆: 0.5},",
        "[{油烟: 2}, 油烟,",
        None,
        "[{油烟: 2}, 油烟,",
        ".keywords[1]",
        "duplicate keyword '油烟'",
    ),
    (
        "categories.yaml",
        "parent: labour\n",
        "parent: labor\n",
        None,
        "parent: labor",
        ".parent",
        "unknown category 'labor'",
    ),
    (
        "sla.yaml",
        "acknowledge: {working_hours: 2}",
        "acknowledge: {working_hours: 2}\nacknowledge: {clock_hours: 1}",
        None,
        "acknowledge: {clock_hours: 1}",
        "acknowledge",
        "duplicate key",
    ),
    (
        "sla.yaml",
        "help: {working_days: 3}",
        "help: {working_weeks: 3}",
        None,
        "working_weeks",
        "resolve.help.working_weeks",
        "unknown key",
    ),
    (
        "sla.yaml",
        "help: {working_days: 3}",
        "help: {working_days: 3, working_hours: 2}",
        None,
        "working_days: 3, working_hours",
        "resolve.help",
        "exactly one",
    ),
    (
        "sla.yaml",
        "reminder_fraction: 0.8",
        "reminder_fraction: 80",
        None,
        "reminder_fraction",
        "reminder_fraction",
        "below 1",
    ),
    (
        "sla.yaml",
        "timezone: Asia/Shanghai",
        "timezone: Asia/Shenzhen",
        None,
        "timezone:",
        "timezone",
        "unknown timezone",
    ),
    (
        "sla.yaml",
        '{start: "14:00", end: "18:00"}',
        '{start: "14:00", end: "13:00"}',
        None,
        '"13:00"',
        "working_hours.periods[1].end",
        "end after",
    ),
    (
        "calendar/2026.yaml",
        "{date: 2026-05-09,",
        "{date: 2026-05-08,",
        None,
        "2026-05-08",
        "workdays[3].date",
        "already a working weekday",
    ),
    (
        "calendar/2026.yaml",
        "from: 2026-10-01, to: 2026-10-07",
        "from: 2026-10-07, to: 2026-10-01",
        None,
        "2026-10-07",
        "holidays[6].to",
        "before it starts",
    ),
    ("calendar/2026.yaml", "year: 2026", "year: 2025", None, "year: 2025", "year", "name it 2025.yaml"),
    (
        "bureaus.yaml",
        "code: street-fubao,",
        "code: street-fubao2,",
        "streets.yaml",
        "code: fubao",
        "streets[9].code",
        "needs a bureau 'street-fubao'",
    ),
    (
        "bureaus.yaml",
        "triage: centre-triage",
        "triage: police",
        None,
        "triage: police",
        "triage",
        "must be of kind centre",
    ),
    (
        "streets.yaml",
        "code: yuanling\n",
        "code: Yuan Ling\n",
        None,
        "Yuan Ling",
        "streets[0].code",
        "not a code",
    ),
    (
        "rules.yaml",
        "then: {bureau: water, urgent: true}",
        "then: {bureau: waterworks, urgent: true}",
        None,
        "waterworks",
        ".then.bureau",
        "unknown bureau 'waterworks'",
    ),
    (
        "rules.yaml",
        "    then: {bureau: $triage}",
        "    when: {street_known: false}\n    then: {bureau: $triage}",
        None,
        "id: triage",
        "rules[",
        "the last rule must",
    ),
    (
        "lexicon.yaml",
        "  - [户口, 户籍]",
        "  - [户口, 户籍]\n  - [户籍, 户口本子]",
        None,
        "[户籍, 户口本子]",
        "synonyms[",
        "'户籍' is already in synonyms[",
    ),
    (
        "lexicon.yaml",
        "  - {reason: fire, reason_zh: 火情, any:",
        "  - {reason: fire, reason_zh: 火情, all: [火], any:",
        None,
        "reason: fire",
        "urgency[",
        "either 'any'",
    ),
    (
        "lexicon.yaml",
        "negations: [",
        "negation: [",
        None,
        "negation: [",
        "negation",
        "unknown key",
    ),
]


@pytest.mark.parametrize("case", BAD_FILES, ids=[f"{c[0]}:{c[6][:30]}" for c in BAD_FILES])
def test_bad_file_is_named_by_file_line_and_field(tmp_path, case):
    edited, old, new, named, marker, field, message = case
    directory = tmp_path / "district"
    shutil.copytree(FUTIAN, directory)
    path = directory / edited
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test case out of date: {old!r} not in {edited}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    named_path = directory / (named or edited)
    with pytest.raises(DatasetError) as caught:
        load_dataset(directory)
    error = caught.value
    assert (Path(error.file), error.line) == (named_path, _line_of(named_path, marker)), str(error)
    assert field in (error.field or "") and message in error.message, str(error)
    assert str(error).startswith(f"{named_path}:{error.line}: {error.field}: ")


def test_yaml_syntax_error_names_the_file_and_line(tmp_path):
    directory = tmp_path / "district"
    shutil.copytree(FUTIAN, directory)
    path = directory / "rules.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("then: {bureau: police}", "then: {bureau: police", 1),
        encoding="utf-8",
    )
    with pytest.raises(DatasetError, match=r"rules\.yaml:\d+: YAML syntax"):
        load_dataset(directory)


@pytest.mark.parametrize("remove", ["rules.yaml", "calendar"])
def test_missing_files(tmp_path, remove):
    directory = tmp_path / "district"
    shutil.copytree(FUTIAN, directory)
    target = directory / remove
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(DatasetError, match="missing|no calendar"):
        load_dataset(directory)


def test_missing_directory(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")


def test_error_without_line_or_field_reads_cleanly():
    assert str(DatasetError("a.yaml", None, None, "file is missing")) == "a.yaml: file is missing"
    assert str(DatasetError("a.yaml", 3, "x.y", "bad")) == "a.yaml:3: x.y: bad"


def test_a_district_without_a_lexicon_loads_and_routes_by_words(tmp_path):
    directory = tmp_path / "district"
    shutil.copytree(FUTIAN, directory)
    (directory / "lexicon.yaml").unlink()
    dataset = load_dataset(directory)
    assert dataset.lexicon.words == () and dataset.lexicon.urgency == ()
