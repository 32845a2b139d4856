"""Check a menu before it takes calls: references, prompts, queues, reachability and endless loops."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ivr.agi.menu import AUTOMATIC_TYPES, NODE_FIELDS, REQUIRED, TERMINAL_TYPES, Menu, Node, Problem
from ticketing.caller.models import KINDS as FLAG_KINDS
from ticketing.case.states import STATUSES

DTMF_KEY = re.compile(r"^[0-9*#]$")
DEFAULT_PROMPTS = ("invalid_prompt", "no_input_prompt")
# Number fields: (smallest allowed, what to write). `timeout: six` or `timeout: -5` would only fail on a call.
NUMBERS = {"timeout": (1, "a whole number of seconds, at least 1"),
           "max_seconds": (1, "a whole number of seconds, at least 1"),
           "retries": (0, "a whole number of attempts, 0 or more")}


def status_prompt(status: str) -> str:
    """Return the prompt id that speaks a case status."""
    return f"status_{status}"


def check_menu(menu: Menu, known_queues: Iterable[str] | None = None) -> list[Problem]:
    """Return every problem of a menu, sorted by line; an empty list means the menu is usable."""
    queues = set(known_queues) if known_queues is not None else None
    problems = [*_check_top(menu)]
    for node in menu.nodes.values():
        problems.extend(_check_node(menu, node, queues))
    problems.extend(_check_graph(menu))
    return sorted(set(problems), key=lambda p: (p.line, p.field, p.message))


def successors(menu: Menu, node: Node) -> Iterator[tuple[str, str]]:
    """Yield (field, node id) for every node this one can lead to, including the operator key."""
    for name, kind in NODE_FIELDS[node.type].items():
        value = node.fields.get(name)
        if kind == "node" and isinstance(value, str):
            yield name, value
        elif kind == "nodes" and isinstance(value, dict):
            yield from ((f"{name}.{key}", target) for key, target in value.items() if isinstance(target, str))
    for key, option in node.options.items():
        yield f"options.{key}", option.next
    if node.type in ("menu", "case_status") and menu.operator:
        yield "keys.operator", menu.operator


def _check_top(menu: Menu) -> Iterator[Problem]:
    if menu.start not in menu.nodes:
        yield Problem(menu.line_of("start"), "start", f"unknown node {menu.start!r}")
    if menu.default_language not in menu.languages:
        yield Problem(menu.line_of("default_language"), "default_language",
                      f"{menu.default_language!r} is not one of languages {list(menu.languages)}")
    for script, node in menu.entries.items():
        if node not in menu.nodes:
            yield Problem(menu.line_of("entries", script), f"entries.{script}", f"unknown node {node!r}")
    for sound, pid in menu.dialplan_prompts.items():
        yield from _check_prompt(menu, pid, ("dialplan_prompts", sound))
    for kind, pid in menu.caller_warnings.items():
        if kind not in FLAG_KINDS:
            yield Problem(menu.line_of("caller_warnings", kind), f"caller_warnings.{kind}",
                          f"unknown caller-list kind {kind!r} (known: {', '.join(FLAG_KINDS)})")
        yield from _check_prompt(menu, pid, ("caller_warnings", kind))
    if menu.operator and menu.operator not in menu.nodes:
        yield Problem(menu.line_of("operator"), "operator", f"unknown node {menu.operator!r}")
    for name in DEFAULT_PROMPTS:
        yield from _check_prompt(menu, menu.defaults.get(name), ("defaults", name))
    for name, value in menu.defaults.items():
        yield from _check_number(menu, name, value, ("defaults", name))
    for name, key in menu.keys.items():
        if not DTMF_KEY.match(key):
            yield Problem(menu.line_of("keys", name), f"keys.{name}", f"{key!r} is not a DTMF key")
    for pid, texts in menu.prompts.items():
        for lang in menu.languages:
            if not texts.get(lang, "").strip():
                yield Problem(menu.line_of("prompts", pid), f"prompts.{pid}.{lang}", "missing prompt text")
    if any(n.type == "case_status" for n in menu.nodes.values()):
        for status in STATUSES:
            yield from _check_prompt(menu, status_prompt(status), ("prompts",))


def _check_node(menu: Menu, node: Node, queues: set[str] | None) -> Iterator[Problem]:
    base = ("nodes", node.id)
    spec = NODE_FIELDS[node.type]
    for name in REQUIRED[node.type]:
        if name not in node.fields:
            yield Problem(menu.line_of(*base), f"nodes.{node.id}.{name}", "missing field")
    for name, value in node.fields.items():
        where = menu.line_of(*base, name)
        kind = spec.get(name)
        if kind is None:
            yield Problem(where, f"nodes.{node.id}.{name}", f"unknown field for a {node.type} node")
        elif kind == "node" and value not in menu.nodes:
            yield Problem(where, f"nodes.{node.id}.{name}", f"unknown node {value!r}")
        elif kind == "nodes":
            yield from _check_node_map(menu, value, (*base, name))
        elif kind == "prompt":
            yield from _check_prompt(menu, value, (*base, name))
        elif kind == "queue":
            yield from _check_queue(menu, value, (*base, name), queues)
        else:
            yield from _check_number(menu, name, value, (*base, name))
    yield from _check_options(menu, node)


def _check_number(menu: Menu, name: str, value: object, path: tuple[str, ...]) -> Iterator[Problem]:
    """Refuse a timeout, retry count or length that is not a whole number in range."""
    if name not in NUMBERS:
        return
    smallest, wanted = NUMBERS[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
        yield Problem(menu.line_of(*path), ".".join(path), f"{value!r} is not {wanted}")


def _check_node_map(menu: Menu, value: object, path: tuple[str, ...]) -> Iterator[Problem]:
    """Check a mapping whose values are node ids (e.g. a speech node's `routes`: category -> node)."""
    if not isinstance(value, dict):
        yield Problem(menu.line_of(*path), ".".join(path), "must map names to node ids")
        return
    for key, target in value.items():
        if target not in menu.nodes:
            where = menu.line_of(*path, str(key))
            yield Problem(where, f"{'.'.join(path)}.{key}", f"unknown node {target!r}")


def _check_options(menu: Menu, node: Node) -> Iterator[Problem]:
    if node.type == "menu" and not node.options:
        yield Problem(menu.line_of("nodes", node.id), f"nodes.{node.id}.options", "a menu needs options")
    for key, option in node.options.items():
        path = ("nodes", node.id, "options", key)
        field_name = f"nodes.{node.id}.options.{key}"
        if not DTMF_KEY.match(key):
            yield Problem(menu.line_of(*path), field_name, f"{key!r} is not a DTMF key")
        if option.next not in menu.nodes:
            yield Problem(menu.line_of(*path), field_name, f"unknown node {option.next!r}")
        if option.language and option.language not in menu.languages:
            yield Problem(menu.line_of(*path), field_name, f"unknown language {option.language!r}")


def _check_prompt(menu: Menu, pid: object, path: tuple[str, ...]) -> Iterator[Problem]:
    field_name = ".".join(path)
    if not isinstance(pid, str) or not pid:
        yield Problem(menu.line_of(*path), field_name, "missing prompt")
    elif pid not in menu.prompts:
        yield Problem(menu.line_of(*path), field_name, f"missing prompt {pid!r}")


def _check_queue(menu: Menu, value: object, path: tuple[str, ...],
                 queues: set[str] | None) -> Iterator[Problem]:
    names = value if isinstance(value, dict) else {lang: value for lang in menu.languages}
    for lang, name in names.items():
        if lang not in menu.languages:
            yield Problem(menu.line_of(*path), ".".join(path), f"unknown language {lang!r}")
        elif not isinstance(name, str) or not name:
            yield Problem(menu.line_of(*path), ".".join(path), f"no queue for {lang}")
        elif queues is not None and name not in queues:
            yield Problem(menu.line_of(*path, lang) if isinstance(value, dict) else menu.line_of(*path),
                          ".".join(path), f"unknown queue {name!r} (not in queues.conf)")
    for lang in menu.languages:
        if isinstance(value, dict) and lang not in value:
            yield Problem(menu.line_of(*path), ".".join(path), f"no queue for {lang}")


def _check_graph(menu: Menu) -> Iterator[Problem]:
    if menu.start not in menu.nodes:
        return
    roots = [menu.start, *(n for n in menu.entries.values() if n in menu.nodes)]
    reachable = _closure(menu, roots, forward=True)
    for nid in menu.nodes:
        if nid not in reachable:
            yield Problem(menu.line_of("nodes", nid), f"nodes.{nid}", "unreachable node")
    ending = _closure(menu, [n for n, node in menu.nodes.items() if node.type in TERMINAL_TYPES],
                      forward=False)
    for nid in sorted(reachable - ending):
        yield Problem(menu.line_of("nodes", nid), f"nodes.{nid}",
                      "loop without exit: no path from here ends the call")
    for nid in sorted(_automatic_cycles(menu)):
        yield Problem(menu.line_of("nodes", nid), f"nodes.{nid}",
                      "loop without exit: a cycle of nodes that never wait for a key")


def _closure(menu: Menu, roots: list[str], forward: bool) -> set[str]:
    edges: dict[str, set[str]] = {nid: set() for nid in menu.nodes}
    for nid, node in menu.nodes.items():
        for _field, target in successors(menu, node):
            if target in menu.nodes:
                if forward:
                    edges[nid].add(target)
                else:
                    edges[target].add(nid)
    seen, todo = set(roots), list(roots)
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def _automatic_cycles(menu: Menu) -> set[str]:
    """Return automatic nodes that can come back to themselves through automatic nodes only."""
    auto = {nid for nid, node in menu.nodes.items() if node.type in AUTOMATIC_TYPES}
    edges = {nid: {t for _f, t in successors(menu, menu.nodes[nid]) if t in auto} for nid in auto}
    looping = set()
    for nid in auto:
        seen, todo = set(), list(edges[nid])
        while todo:
            cur = todo.pop()
            if cur == nid:
                looping.add(nid)
                break
            if cur not in seen:
                seen.add(cur)
                todo.extend(edges[cur])
    return looping


def queues_from_conf(text: str) -> set[str]:
    """Return the queue names defined in a queues.conf (every section but [general], templates skipped)."""
    names = set()
    for match in re.finditer(r"^\[([^\]]+)\](\(([^)]*)\))?", text, re.MULTILINE):
        name, options = match.group(1).strip(), match.group(3) or ""
        if name != "general" and "!" not in options:
            names.add(name)
    return names
