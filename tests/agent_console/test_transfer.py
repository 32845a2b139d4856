"""Where a consultation goes (pure table) and the transfer directory file."""

from __future__ import annotations

import pytest

from agent_console.transfer import (
    Contexts,
    DirectoryEntry,
    DirectoryError,
    UnknownTarget,
    destination,
    load_directory,
)

DIRECTORY = (DirectoryEntry("110", "公安报警 110", "Police 110", "110"),
             DirectoryEntry("urban-duty", "城管局值班电话", "Urban duty line", "075500000001"))
QUEUES, EXTENSIONS = ["general-zh", "urban-zh"], ["1001", "1002"]
PLACES = dict(queues=QUEUES, extensions=EXTENSIONS, directory=DIRECTORY, contexts=Contexts())


@pytest.mark.parametrize(("target", "expected"), [
    ("general-zh", ("hotline-queue", "general-zh", "general-zh", "queue")),
    ("1002", ("hotline-agents", "1002", "1002", "agent")),
    ("110", ("hotline-outbound", "110", "公安报警 110", "outside")),
    (" urban-duty ", ("hotline-outbound", "075500000001", "城管局值班电话", "outside")),
    ("075500000001", ("hotline-outbound", "075500000001", "城管局值班电话", "outside")),
])
def test_destination(target, expected):
    found = destination(target, **PLACES)
    assert (found.context, found.exten, found.label, found.kind) == expected


def test_english_label_and_unknown_targets():
    found = destination("110", **PLACES, language="en")
    assert found.label == "Police 110"
    for target in ("1099", "13800138000", "safety-zh", ""):
        with pytest.raises(UnknownTarget):
            destination(target, **PLACES)


def test_the_shipped_directory_loads_with_emergency_numbers():
    keys = {entry.key for entry in load_directory()}
    assert {"110", "119", "120", "122"} <= keys


@pytest.mark.parametrize("text", ["- {key: a, name_zh: A, number: 'abc'}",
                                  "- {key: a, name_zh: A, number: '110'}\n"
                                  "- {key: a, name_zh: B, number: '120'}",
                                  "- {key: a, number: '110'}", "[: broken"])
def test_a_bad_directory_is_refused_with_its_file(tmp_path, text):
    path = tmp_path / "directory.yaml"
    path.write_text(text)
    with pytest.raises(DirectoryError, match="directory.yaml"):
        load_directory(path)
