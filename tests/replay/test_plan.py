"""Replay hooks and plans: the id allowlist, the command template rules, config vs CLI,
and injection attempts against a real program that records the argv it was given.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from wftui.config import ConfigError, Settings
from wftui.replay.plan import (
    CONTEXT_FILE_SHOWN,
    ReplayError,
    ReplayHook,
    build_plan,
    check_id,
    follow_id,
    hook_from,
    split_command,
)
from wftui.replay.run import run_plan

HOSTILE = [
    "EXEC-1; touch {marker}",
    "$(touch {marker})",
    "`touch {marker}`",
    "EXEC 1",
    "EXEC-1\ntouch {marker}",
    "-rf",
    "--help",
    "",
    "x" * 129,
    "EXEC/../1",
    "EXEC-1|touch {marker}",
    "EXEC-1&&touch {marker}",
    "EXEC-1\x1b]0;pwned\x07",
    "EXEC-1\u202e",
]


@pytest.mark.parametrize("good", ["EXEC-000123", "a", "x" * 128, "run.2:retry_1",
                                  "EXEC-1-replay-2", "123", ".hidden", ":x", "_"])
def test_safe_ids_pass(good: str) -> None:
    assert check_id(good) == good


@pytest.mark.parametrize("bad", [*HOSTILE, 42, None, ["EXEC-1"]])
def test_unsafe_ids_are_refused_with_the_rule(bad: object) -> None:
    if isinstance(bad, str):
        bad = bad.format(marker="/tmp/never")
    with pytest.raises(ReplayError) as caught:
        check_id(bad)
    message = str(caught.value)
    assert "must not start with '-'" in message
    assert "\n" not in message and "\x1b" not in message and "\u202e" not in message


def _recorder(tmp_path: Path) -> Path:
    """A program that writes the argv it got (after the program) to argv.json."""
    script = tmp_path / "record_argv.py"
    script.write_text(
        "import json, sys, pathlib\n"
        "out = pathlib.Path(__file__).with_name('argv.json')\n"
        "out.write_text(json.dumps(sys.argv[1:]))\n"
        "print(json.dumps({'execution_id': 'NEW-1'}))\n",
        encoding="utf-8",
    )
    return script


@pytest.mark.parametrize("hostile", HOSTILE)
def test_injection_in_the_id_runs_nothing(tmp_path: Path, hostile: str) -> None:
    marker = tmp_path / "MARKER"
    script = _recorder(tmp_path)
    template = f"{sys.executable} {script} {{execution_id}}"
    hook = ReplayHook(command=split_command(template, "test"), timeout_s=20)
    with pytest.raises(ReplayError):
        plan = build_plan(hook, hostile.format(marker=marker), "support_ticket", {})
        run_plan(plan)
    assert not marker.exists()
    assert not (tmp_path / "argv.json").exists(), "the hook must not have run at all"


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if h])
def test_injection_in_the_workflow_name_is_refused(tmp_path: Path, hostile: str) -> None:
    marker = tmp_path / "MARKER"
    script = _recorder(tmp_path)
    template = f"{sys.executable} {script} {{execution_id}} {{workflow_name}}"
    hook = ReplayHook(command=split_command(template, "test"), timeout_s=20)
    with pytest.raises(ReplayError, match="refusing workflow name"):
        build_plan(hook, "EXEC-1", hostile.format(marker=marker), {})
    assert not marker.exists()


def test_shell_syntax_in_the_template_stays_inert_arguments(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    script = _recorder(tmp_path)
    template = (f"{sys.executable} {script} {{execution_id}} ; touch {marker} "
                f"'$(touch {marker})' `touch {marker}` && {{workflow_name}}")
    hook = ReplayHook(command=split_command(template, "test"), timeout_s=20)
    plan = build_plan(hook, "EXEC-1", "support_ticket", None)
    outcome = run_plan(plan)
    assert outcome.ok, outcome.message
    assert not marker.exists()
    recorded = json.loads((tmp_path / "argv.json").read_text())
    # shlex splits words; nothing is interpreted: every token arrives as one argument
    assert recorded == ["EXEC-1", ";", "touch", str(marker), f"$(touch {marker})",
                        "`touch", f"{marker}`", "&&", "support_ticket"]
    assert outcome.answered_id == "NEW-1"


def test_hostile_context_goes_only_into_the_context_file(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    script = tmp_path / "read_context.py"
    script.write_text(
        "import json, sys, pathlib\n"
        "path = sys.argv[2]\n"
        "data = json.loads(pathlib.Path(path).read_text())\n"
        "pathlib.Path(__file__).with_name('seen.json').write_text(json.dumps("
        "{'argv': sys.argv[1:], 'context': data}))\n"
        "print(json.dumps({'execution_id': sys.argv[1] + '-replay'}))\n",
        encoding="utf-8",
    )
    context = {"subject": f"$(touch {marker})", "body": f"`touch {marker}`; rm -rf /\n-x"}
    hook = ReplayHook(command=split_command(
        f"{sys.executable} {script} {{execution_id}} {{context_file}}", "test"), timeout_s=20)
    plan = build_plan(hook, "EXEC-9", "support_ticket", context)
    assert plan.argv[-1] == CONTEXT_FILE_SHOWN
    outcome = run_plan(plan)
    assert outcome.ok, outcome.message
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["context"] == context
    context_path = Path(seen["argv"][1])
    assert not context_path.exists(), "the temporary context file is removed afterwards"
    assert outcome.answered_id == "EXEC-9-replay"
    assert not marker.exists()


@pytest.mark.parametrize(("template", "fragment"), [
    ("myapp replay --id={execution_id}", "must be a whole argument"),
    ("myapp replay id:{workflow_name} {execution_id}", "must be a whole argument"),
    ("myapp replay {execution-id}", "unknown placeholder"),
    ("myapp replay", "must take {execution_id} or {context_file}"),
    ("myapp 'replay", "cannot split"),
    ("", "is empty"),
    ("{execution_id} x", "program itself"),
])
def test_unusable_templates_are_refused(template: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match="--replay-cmd") as caught:
        split_command(template, "--replay-cmd")
    assert fragment in str(caught.value)


def test_a_json_argument_with_braces_is_left_alone() -> None:
    argv = split_command('myapp replay {execution_id} --opts \'{"dry": false}\'', "x")
    assert argv == ("myapp", "replay", "{execution_id}", "--opts", '{"dry": false}')


def _settings(**replay: object) -> Settings:
    return Settings(sections={"replay": dict(replay)} if replay else {})


def test_hook_from_config_and_cli_precedence() -> None:
    assert hook_from(_settings()) is None
    from_file = hook_from(_settings(command="myapp replay {execution_id}", timeout="5s"))
    assert from_file.command == ("myapp", "replay", "{execution_id}")
    assert from_file.timeout_s == 5.0 and from_file.kind == "command"
    url_file = hook_from(_settings(url="http://127.0.0.1:1/replay"))
    assert url_file.url == "http://127.0.0.1:1/replay" and url_file.kind == "http"
    assert url_file.timeout_s == 30.0
    # the CLI wins over the file, whichever kind each is
    cli = hook_from(_settings(url="http://127.0.0.1:1/replay", timeout=2),
                    replay_cmd="other {execution_id}")
    assert cli.command == ("other", "{execution_id}") and cli.timeout_s == 2.0
    cli_url = hook_from(_settings(command="myapp {execution_id}"),
                        replay_url="https://ops.example/replay")
    assert cli_url.url == "https://ops.example/replay" and cli_url.command is None
    list_form = hook_from(_settings(command=["my app", "{execution_id}"]))
    assert list_form.command == ("my app", "{execution_id}")


@pytest.mark.parametrize(("table", "fragment"), [
    ({"comand": "x {execution_id}"}, "config: replay.comand: unknown key"),
    ({"command": "x {execution_id}", "url": "http://h/"}, "not both"),
    ({"url": "ftp://h/x"}, "http:// or https://"),
    ({"url": "not a url"}, "config: replay.url"),
    ({"command": "x {execution_id}", "timeout": "soon"}, "config: replay.timeout"),
    ({"command": ["x", 3]}, "only strings"),
    ({"command": 3}, "expected a command"),
])
def test_bad_replay_tables_name_the_key(table: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        hook_from(_settings(**table))
    assert fragment in str(caught.value)


def test_plan_for_http_puts_the_id_in_the_body_only() -> None:
    hook = ReplayHook(url="http://127.0.0.1:9/replay")
    plan = build_plan(hook, "EXEC-5", "support_ticket", {"ticket_id": "TKT-5"})
    assert plan.body == {"execution_id": "EXEC-5", "workflow_name": "support_ticket",
                         "context": {"ticket_id": "TKT-5"}}
    shown = plan.describe()
    assert shown[0] == "POST http://127.0.0.1:9/replay"
    assert '"execution_id":"EXEC-5"' in shown[1]
    assert plan.hook_record() == {"kind": "http", "url": "http://127.0.0.1:9/replay"}


def test_plan_refusals_say_why() -> None:
    with pytest.raises(ReplayError, match="no replay hook configured"):
        build_plan(None, "EXEC-1", None, None)
    hook = ReplayHook(command=("app", "{workflow_name}", "{context_file}"))
    with pytest.raises(ReplayError, match="does not name the workflow"):
        build_plan(hook, "EXEC-1", None, {})
    with pytest.raises(ReplayError, match="no context was logged"):
        build_plan(hook, "EXEC-1", "wf", None)


def test_follow_id_order() -> None:
    assert follow_id("E", "E-replay-7", [], ["E-replay"]) == ("E-replay-7", "the hook's answer")
    assert follow_id("E", None, ["E-replay"], ["E-replay", "E-replay-2"]) == (
        "E-replay-2", "the log (replay_of)")
    new_id, how = follow_id("E", None, ["E-replay"], ["E-replay"])
    assert new_id == "E-replay" and "convention" in how
    assert follow_id("E", "$(x)", [], [])[0] == "E-replay"  # an unsafe answer is ignored
    assert follow_id("x" * 125, None, [], [])[0] is None  # x*125 + "-replay" > 128
