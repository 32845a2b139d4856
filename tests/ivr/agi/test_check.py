"""`hotline ivr check`: each kind of mistake is reported with its line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.agi.check import check_menu, queues_from_conf
from ivr.agi.menu import MenuError, load_menu, parse_menu

ROOT = Path(__file__).parents[3]
QUEUES = queues_from_conf((ROOT / "asterisk-config/queues.conf").read_text(encoding="utf-8"))

SMALL = """\
name: small
languages: [zh, en]
start: main
operator: agent
defaults: {invalid_prompt: invalid, no_input_prompt: silence}
nodes:
  main:
    type: menu
    prompt: hello
    options:
      "1": agent
      "2": bye
    on_fail: bye
  agent:
    type: queue
    queue: general-zh
    prompt: hello
    position_prompt: hello
    on_timeout: bye
  bye:
    type: hangup
    prompt: hello
prompts:
  hello: {zh: 你好, en: hello}
  invalid: {zh: 错误, en: wrong}
  silence: {zh: 无, en: nothing}
"""


def problems(text, queues=QUEUES):
    return [(p.line, p.field, p.message) for p in check_menu(parse_menu(text), queues)]


def test_default_menu_is_clean():
    assert check_menu(load_menu(ROOT / "ivr/agi/menus/hotline.yaml"), QUEUES) == []


def test_small_menu_is_clean():
    assert problems(SMALL) == []


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("    prompt: hello\n    options:", "    prompt: welcome\n    options:",
     (9, "nodes.main.prompt", "missing prompt 'welcome'")),
    ("  hello: {zh: 你好, en: hello}", "  hello: {zh: 你好}",
     (24, "prompts.hello.en", "missing prompt text")),
    ('      "2": bye', '      "2": nowhere', (12, "nodes.main.options.2", "unknown node 'nowhere'")),
    ("    queue: general-zh", "    queue: vip",
     (16, "nodes.agent.queue", "unknown queue 'vip' (not in queues.conf)")),
    ("    on_fail: bye\n", "    on_fail: bye\n  lost:\n    type: hangup\n    prompt: hello\n",
     (14, "nodes.lost", "unreachable node")),
])
def test_each_mistake_is_reported(old, new, expected):
    assert old in SMALL
    assert expected in problems(SMALL.replace(old, new))


def test_caller_warnings_name_known_kinds_and_prompts():
    warnings = "caller_warnings: {abusive: hello, rude: hello, prank: nothing}\n"
    warned = SMALL.replace("operator: agent\n", "operator: agent\n" + warnings)
    found = problems(warned)
    assert (5, "caller_warnings.rude", "unknown caller-list kind 'rude' (known: abusive, prank)") in found
    assert (5, "caller_warnings.prank", "missing prompt 'nothing'") in found
    assert not [p for p in found if p[1] == "caller_warnings.abusive"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("    on_fail: bye\n", "    on_fail: bye\n    timeout: six\n",
     (14, "nodes.main.timeout", "'six' is not a whole number of seconds, at least 1")),
    ("    on_fail: bye\n", "    on_fail: bye\n    timeout: -5\n",
     (14, "nodes.main.timeout", "-5 is not a whole number of seconds, at least 1")),
    ("    on_fail: bye\n", "    on_fail: bye\n    retries: 1.5\n",
     (14, "nodes.main.retries", "1.5 is not a whole number of attempts, 0 or more")),
    ("defaults: {invalid_prompt: invalid,", "defaults: {timeout: 0, invalid_prompt: invalid,",
     (5, "defaults.timeout", "0 is not a whole number of seconds, at least 1")),
])
def test_numbers_are_checked(old, new, expected):
    assert old in SMALL
    assert expected in problems(SMALL.replace(old, new))


def test_yaml_syntax_error_names_the_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(SMALL.replace("  main:\n", "  main:\n   - [\n", 1), encoding="utf-8")
    with pytest.raises(MenuError) as caught:
        load_menu(broken)
    assert str(broken) in str(caught.value) and "<unicode string>" not in str(caught.value)


def test_loop_without_exit():
    loop = """\
  ping:
    type: play
    prompt: hello
    next: pong
  pong:
    type: play
    prompt: hello
    next: ping
prompts:
"""
    text = SMALL.replace('      "2": bye', '      "2": ping').replace("prompts:\n", loop)
    found = problems(text)
    assert (23, "nodes.ping", "loop without exit: a cycle of nodes that never wait for a key") in found
    assert (23, "nodes.ping", "loop without exit: no path from here ends the call") in found
    assert (27, "nodes.pong", "loop without exit: no path from here ends the call") in found


def test_menu_cycle_without_terminal_is_a_loop_without_exit():
    text = """\
start: a
defaults: {invalid_prompt: p, no_input_prompt: p}
nodes:
  a: {type: menu, prompt: p, options: {"1": b}, on_fail: b}
  b: {type: menu, prompt: p, options: {"1": a}, on_fail: a}
prompts:
  p: {zh: 好}
"""
    found = problems(text)
    assert (4, "nodes.a", "loop without exit: no path from here ends the call") in found
    assert (5, "nodes.b", "loop without exit: no path from here ends the call") in found


@pytest.mark.parametrize(("text", "message"), [
    ("nodes: [1, 2]\n", "line 1: nodes: must be a mapping"),
    ("prompts: {}\nnodes:\n  a: {type: dance}\n", "line 3: nodes.a.type: unknown node type 'dance'"),
    ("prompts: {}\nnodes:\n  a:\n    type: menu\n    options: {'1': [x]}\n",
     "line 5: nodes.a.options.1: must be a node id or {next, language}"),
    ("nodes: {a: 1\n", "invalid YAML"),
])
def test_shape_errors_name_the_line(text, message):
    with pytest.raises(MenuError, match=message.replace("{", r"\{").replace("}", r"\}").replace("[", r"\[")):
        parse_menu(text)


def test_missing_required_field_and_unknown_field():
    text = SMALL.replace("    on_timeout: bye\n", "    colour: red\n")
    found = problems(text)
    assert (14, "nodes.agent.on_timeout", "missing field") in found
    assert (19, "nodes.agent.colour", "unknown field for a queue node") in found


def test_queues_from_conf_skips_general_and_templates():
    conf = ("[general]\npersistentmembers=yes\n[base](!)\nstrategy=rrmemory\n"
            "[complaint-zh](base)\n[consult-en]\n")
    assert queues_from_conf(conf) == {"complaint-zh", "consult-en"}


def test_cli_prints_problems_with_file_line_and_field(tmp_path):
    from typer.testing import CliRunner

    from hotline.cli import app

    broken = tmp_path / "broken.yaml"
    broken.write_text(SMALL.replace("    queue: general-zh", "    queue: vip"), encoding="utf-8")
    good = ROOT / "ivr/agi/menus/hotline.yaml"
    result = CliRunner().invoke(app, ["ivr", "check", str(good), str(broken)])
    assert result.exit_code == 1
    assert f"{good}: ok" in result.output
    assert f"{broken}:line 16: nodes.agent.queue: unknown queue 'vip' (not in queues.conf)" in result.output
    unreadable = CliRunner().invoke(app, ["ivr", "check", str(tmp_path / "missing.yaml")])
    assert unreadable.exit_code == 1 and "cannot read" in unreadable.output
