"""YAML reading that remembers the line of every mapping, key and list item, and refuses duplicate keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ticketing.dataset.errors import DatasetError


class LineMap(dict):
    """A YAML mapping with `line` (its own, 1-based) and `key_lines` (line of each key)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A YAML sequence with `line` and `item_lines` (line of each item)."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader building LineMap/LineList so that errors can point at lines."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineMap:  # type: ignore[override]
        mapping = LineMap()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping:
                raise DatasetError(self.name, key_node.start_mark.line + 1, str(key), "duplicate key")
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        items = LineList(self.construct_object(child, deep=True) for child in node.value)
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    return loader.construct_mapping(node, deep=True)


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    return loader.construct_sequence(node, deep=True)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def read_yaml(path: Path) -> Any:
    """Return the parsed content of PATH; any read or syntax problem becomes a DatasetError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise DatasetError(path, None, None, "file is missing") from err
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(path, None, None, f"cannot read: {err}") from err
    loader = _LineLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else None
        raise DatasetError(path, line, None, f"YAML syntax: {err.problem}") from err
    except yaml.YAMLError as err:
        raise DatasetError(path, None, None, f"YAML: {err}") from err
    finally:
        loader.dispose()
