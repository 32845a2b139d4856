"""The IVR menu as plain data, loaded from YAML with the line of every field kept for error messages.

Schema (documented in docs/ivr.md): top-level `name`, `languages`, `default_language`, `start`,
`entries` (other AGI script names -> first node), `dialplan_prompts` (sound file -> prompt),
`caller_warnings` (caller-list kind -> prompt played first, in every language, to a marked caller),
`keys` (repeat/back/operator), `operator` (node the operator key leads to), `defaults`
(timeout, retries, on_fail, prompts for invalid/no input), `prompts` (id -> {language: text}) and
`nodes` (id -> node). Each node has a `type`; the fields it accepts are listed in NODE_FIELDS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NODE_FIELDS: dict[str, dict[str, str]] = {
    # field -> "node" (reference to a node), "nodes" (mapping of names to nodes), "prompt" (reference to a
    # prompt), "queue", or "value"
    "menu": {"prompt": "prompt", "options": "value", "timeout": "value", "retries": "value",
             "on_fail": "node"},
    "play": {"prompt": "prompt", "next": "node"},
    "hours": {"open": "node", "closed": "node"},
    "case_status": {"prompt": "prompt", "next": "node", "on_fail": "node", "timeout": "value",
                    "retries": "value", "found_prompt": "prompt", "not_found_prompt": "prompt",
                    "bureau_prompt": "prompt", "offer_prompt": "prompt", "offer_choice_prompt": "prompt"},
    "message": {"prompt": "prompt", "next": "node", "on_fail": "node", "max_seconds": "value",
                "saved_prompt": "prompt", "category": "value"},
    "queue": {"prompt": "prompt", "queue": "queue", "on_timeout": "node", "timeout": "value",
              "position_prompt": "prompt"},
    "hangup": {"prompt": "prompt"},
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "menu": ("prompt", "options", "on_fail"),
    "play": ("prompt", "next"),
    "hours": ("open", "closed"),
    "case_status": ("prompt", "next", "on_fail", "found_prompt", "not_found_prompt", "bureau_prompt"),
    "message": ("prompt", "next", "on_fail", "saved_prompt"),
    "queue": ("prompt", "queue", "on_timeout", "position_prompt"),
    "hangup": ("prompt",),
}
# Nodes that end the IVR's part of the call (hang up, or leave the caller with a person or a message).
TERMINAL_TYPES: set[str] = {"hangup", "queue", "message"}  # extended by register_node_type
# Nodes that take no key from the caller: a cycle made only of them never ends.
AUTOMATIC_TYPES: set[str] = {"play", "hours"}
# Nodes the back key never returns to (besides automatic and terminal ones), e.g. the speech node, which
# without a model leads straight on again.
NOT_BACK_TARGETS: set[str] = set()  # extended by register_node_type
DEFAULT_KEYS = {"repeat": "*", "back": "#", "operator": "0"}
# Modules of other packages that add node types (`ivr.agi.machine.register_node_type` on import). They are
# imported before any menu is parsed, so `hotline ivr check`, `hotline call` and the server know every type
# in a fresh process, whether or not the speech component runs there.
PLUGIN_NODE_MODULES = ("ivr.speech.node", "ivr.survey.node")
_SCALARS = yaml.SafeLoader("")  # only its scalar constructors are used


class MenuError(ValueError):
    """A menu file cannot be read or does not follow the schema."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a menu file, with where it is."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass(frozen=True)
class Option:
    """What a key does in a menu node: go to a node, maybe switching language first."""

    next: str
    language: str | None = None


@dataclass(frozen=True)
class Node:
    """One step of the IVR; `fields` holds the type-specific settings named in NODE_FIELDS."""

    id: str
    type: str
    fields: dict[str, Any]
    options: dict[str, Option] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        """Return a field of this node, or the default."""
        return self.fields.get(name, default)


@dataclass(frozen=True)
class Menu:
    """A whole IVR: its languages, prompts and nodes, plus the source line of every field."""

    name: str
    languages: tuple[str, ...]
    default_language: str
    start: str
    keys: dict[str, str]
    operator: str | None
    defaults: dict[str, Any]
    prompts: dict[str, dict[str, str]]
    nodes: dict[str, Node]
    entries: dict[str, str] = field(default_factory=dict)  # other AGI script name -> first node
    dialplan_prompts: dict[str, str] = field(default_factory=dict)  # sound file -> prompt id
    caller_warnings: dict[str, str] = field(default_factory=dict)  # caller-list kind -> prompt id
    lines: dict[tuple[str, ...], int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, *path: str) -> int:
        """Return the source line of a field, or of its nearest enclosing mapping."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def setting(self, node: Node, name: str) -> Any:
        """Return a node's field, falling back to the menu defaults."""
        return node.fields.get(name, self.defaults.get(name))


def load_menu(path: Path) -> Menu:
    """Read and parse a menu file; raise MenuError on unreadable YAML or a wrong shape."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise MenuError(f"{path}: cannot read: {err}") from err
    return parse_menu(text, name=Path(path).stem, source=str(path))


def load_node_types() -> None:
    """Import the modules that register plug-in node types (idempotent: Python imports each once)."""
    for module in PLUGIN_NODE_MODULES:
        importlib.import_module(module)


def parse_menu(text: str, name: str = "menu", source: str = "menu") -> Menu:
    """Parse menu YAML text into a Menu; raise MenuError with a line number when the shape is wrong.

    SOURCE names the text in YAML syntax errors (the file's path; PyYAML would say `<unicode string>`).
    """
    load_node_types()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        for mark in (getattr(err, "context_mark", None), getattr(err, "problem_mark", None)):
            if mark is not None:
                mark.name = source
        raise MenuError(f"invalid YAML: {err}") from err
    if not isinstance(root, yaml.MappingNode):
        raise MenuError("line 1: the menu must be a mapping")
    lines: dict[tuple[str, ...], int] = {}
    data = _to_python(root, (), lines)
    return _build(data, name, lines)


def _to_python(node: yaml.Node, path: tuple[str, ...], lines: dict) -> Any:
    """Convert a composed YAML node to Python values, recording the line of every mapping key."""
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, (*path, key), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, path, lines) for item in node.value]
    return _SCALARS.construct_object(node, deep=True)


def _build(data: dict, name: str, lines: dict) -> Menu:
    nodes_data = _mapping(data, "nodes", lines)
    prompts = {str(pid): _prompt_texts(pid, texts, lines)
               for pid, texts in _mapping(data, "prompts", lines).items()}
    nodes = {str(nid): _node(str(nid), spec, lines) for nid, spec in nodes_data.items()}
    languages = tuple(str(lang) for lang in data.get("languages") or ("zh",))
    keys = {**DEFAULT_KEYS, **{k: str(v) for k, v in (data.get("keys") or {}).items()}}
    return Menu(name=str(data.get("name", name)), languages=languages,
                default_language=str(data.get("default_language", languages[0])),
                start=str(data.get("start", "")), keys=keys,
                operator=str(data["operator"]) if data.get("operator") else None,
                defaults=dict(data.get("defaults") or {}), prompts=prompts, nodes=nodes,
                entries=_names(data, "entries", lines),
                dialplan_prompts=_names(data, "dialplan_prompts", lines),
                caller_warnings=_names(data, "caller_warnings", lines),
                lines=lines)


def _names(data: dict, key: str, lines: dict) -> dict[str, str]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise MenuError(f"line {lines.get((key,), 1)}: {key}: must be a mapping")
    return {str(k): str(v) for k, v in value.items()}


def _mapping(data: dict, key: str, lines: dict) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        raise MenuError(f"line {lines.get((key,), 1)}: {key}: must be a mapping")
    return value


def _prompt_texts(pid: str, texts: Any, lines: dict) -> dict[str, str]:
    if not isinstance(texts, dict):
        raise MenuError(f"line {lines.get(('prompts', pid), 1)}: prompts.{pid}: must map language to text")
    return {str(lang): str(text) for lang, text in texts.items() if text is not None}


def _node(nid: str, spec: Any, lines: dict) -> Node:
    where = lines.get(("nodes", nid), 1)
    if not isinstance(spec, dict):
        raise MenuError(f"line {where}: nodes.{nid}: must be a mapping")
    node_type = str(spec.get("type", ""))
    if node_type not in NODE_FIELDS:
        raise MenuError(f"line {where}: nodes.{nid}.type: unknown node type {node_type!r} "
                        f"(known: {', '.join(sorted(NODE_FIELDS))})")
    fields = {k: v for k, v in spec.items() if k not in ("type", "options")}
    options = {}
    for key, target in (spec.get("options") or {}).items():
        options[str(key)] = _option(nid, str(key), target, lines)
    if "options" in spec:
        fields["options"] = options
    return Node(id=nid, type=node_type, fields=fields, options=options)


def _option(nid: str, key: str, target: Any, lines: dict) -> Option:
    if isinstance(target, str):
        return Option(next=target)
    if isinstance(target, dict) and isinstance(target.get("next"), str):
        language = target.get("language")
        return Option(next=target["next"], language=str(language) if language else None)
    where = lines.get(("nodes", nid, "options", key), 1)
    raise MenuError(f"line {where}: nodes.{nid}.options.{key}: must be a node id or {{next, language}}")
