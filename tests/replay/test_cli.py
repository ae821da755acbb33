"""`wftui replay` confirmation on a real terminal (a pty), and `wftui diff` on a
hand-written log: exit codes, text and JSON output, hostile text made visible.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.forked import run_wftui

REPO_ROOT = Path(__file__).resolve().parents[2]
T0 = 1767268800.0


def env_for(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "XDG_STATE_HOME": str(tmp_path / "st"),
            "XDG_CONFIG_HOME": str(tmp_path / "cfg")}


def write_log(path: Path) -> None:
    """EXEC-1 fails at fetch_ticket; EXEC-1-replay succeeds (1.0 s -> 0.25 s fetch)."""
    def e(kind: str, eid: str, t: float, **fields: object) -> str:
        return json.dumps({"event": kind, "execution_id": eid, "timestamp": T0 + t, **fields})

    lines = [
        e("workflow_start", "EXEC-1", 0, workflow_name="support_ticket",
          context={"ticket_id": "TKT-1"}),
        e("step_start", "EXEC-1", 0, step_name="fetch_ticket", step_type="tool"),
        e("error", "EXEC-1", 1, step_name="fetch_ticket", error="Timeout\x1b]0;pwned\x07"),
        e("step_complete", "EXEC-1", 1, step_name="fetch_ticket", duration_ms=1000,
          success=False, error="Timeout\x1b]0;pwned\x07"),
        e("workflow_complete", "EXEC-1", 1, status="failure", duration_ms=1000),
        e("workflow_start", "EXEC-1-replay", 10, workflow_name="support_ticket",
          context={"ticket_id": "TKT-1"}, replay_of="EXEC-1"),
        e("step_start", "EXEC-1-replay", 10, step_name="fetch_ticket", step_type="tool"),
        e("step_complete", "EXEC-1-replay", 10.25, step_name="fetch_ticket", duration_ms=250,
          success=True),
        e("workflow_complete", "EXEC-1-replay", 10.25, status="success", duration_ms=250),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def wftui(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_wftui(args, env=env_for(tmp_path), cwd=REPO_ROOT)


def test_diff_text_shows_verdict_headers_and_rows(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    done = wftui(tmp_path, "diff", "EXEC-1", "EXEC-1-replay", str(log))
    assert done.returncode == 1, done.stderr  # they differ
    lines = done.stdout.splitlines()
    assert lines[0] == "the replay succeeded where the original failed at fetch_ticket"
    # no token fields logged: no data ("—"), never 0
    assert lines[2].startswith("the original: EXEC-1 failed at fetch_ticket, 1.00s, 1 step, "
                               "tokens —, cost —")
    assert lines[3].startswith("the replay: EXEC-1-replay succeeded, 250ms, 1 step, "
                               "tokens —, cost —")
    assert "duration ratio (the replay / the original): 0.25" in lines
    row = next(line for line in lines if line.startswith("* fetch_ticket"))
    assert "failed 1.00s" in row and "ok 250ms" in row
    assert row.endswith("status, error, faster x0.25")
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "Timeout\u241b]0;pwned\u2407" in done.stdout


def test_diff_json_and_exit_codes(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    same = wftui(tmp_path, "diff", "EXEC-1", "EXEC-1", str(log), "--format", "json")
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["differs"] is False
    missing = wftui(tmp_path, "diff", "EXEC-1", "NOPE", str(log))
    assert missing.returncode == 2
    assert missing.stderr == "wftui: NOPE is not in the given log files\n"
    unreadable = wftui(tmp_path, "diff", "A", "B", str(tmp_path / "none.log"))
    assert unreadable.returncode == 2 and "no file could be read" in unreadable.stderr


def test_diff_json_says_null_where_nothing_was_priced(tmp_path: Path) -> None:
    """The text says "—" for tokens and cost nothing logged; the JSON says null there,
    not 0 (a run that cost nothing is not a run nobody priced)."""
    def e(kind: str, eid: str, t: float, **fields: object) -> str:
        return json.dumps({"event": kind, "execution_id": eid, "timestamp": T0 + t, **fields})

    log = tmp_path / "app.log"
    log.write_text("\n".join([
        e("step_start", "PRICED", 0, step_name="classify", step_type="llm"),
        e("step_complete", "PRICED", 1, step_name="classify", duration_ms=1000,
          success=True, model="gpt-4o", input_tokens=100, output_tokens=20,
          cost_usd=0.0012),
        e("workflow_complete", "PRICED", 1, status="success"),
        e("step_start", "UNPRICED", 10, step_name="classify", step_type="llm"),
        e("step_complete", "UNPRICED", 11, step_name="classify", duration_ms=1000,
          success=True),
        e("workflow_complete", "UNPRICED", 11, status="success"),
    ]) + "\n", encoding="utf-8")
    text = wftui(tmp_path, "diff", "PRICED", "UNPRICED", str(log)).stdout.splitlines()
    assert "tokens 100 in / 20 out, cost $0.0012" in text[2]
    assert "tokens —, cost —" in text[3]
    done = wftui(tmp_path, "diff", "PRICED", "UNPRICED", str(log), "--format", "json")
    report = json.loads(done.stdout)
    usage = ("input_tokens", "output_tokens", "cost_usd")
    assert [report["left"][key] for key in usage] == [100, 20, 0.0012]
    assert [report["right"][key] for key in usage] == [None, None, None]
    assert [report["rows"][0]["right"][key] for key in usage] == [None, None, None]


def _pty_replay(tmp_path: Path, answer: bytes, *args: str) -> tuple[int, str]:
    """Run `wftui replay` with a real terminal on stdin; type `answer` at the prompt."""
    master, slave = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "wftui", "replay", *args],
                               stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env_for(tmp_path), cwd=REPO_ROOT)
    os.close(slave)
    try:
        # wait for the prompt to be written (stderr), then answer
        buffer = b""
        deadline = time.monotonic() + 60
        assert process.stderr is not None
        while b"[y/N]" not in buffer and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stderr], [], [], 0.2)
            if ready:
                chunk = os.read(process.stderr.fileno(), 4096)
                if not chunk:
                    break
                buffer += chunk
        assert b"[y/N]" in buffer, buffer
        os.write(master, answer)
        out, err = process.communicate(timeout=60)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return process.returncode, out.decode()


@pytest.mark.parametrize(("answer", "runs"), [(b"y\n", True), (b"n\n", False), (b"\n", False)])
def test_replay_asks_on_the_terminal(tmp_path: Path, answer: bytes, runs: bool) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    marker = tmp_path / "ran.txt"
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, pathlib, sys\n"
        f"pathlib.Path({str(marker)!r}).write_text(sys.argv[1])\n"
        "print(json.dumps({'execution_id': sys.argv[1] + '-replay-9'}))\n", encoding="utf-8")
    code, out = _pty_replay(tmp_path, answer, "EXEC-1", str(log), "--replay-cmd",
                            f"{sys.executable} {script} {{execution_id}}")
    if runs:
        assert code == 0 and out == "EXEC-1-replay-9\n"
        assert marker.read_text() == "EXEC-1"
    else:
        assert code == 2 and out == ""
        assert not marker.exists()


def test_replay_of_an_unknown_execution_or_without_hook(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    unknown = wftui(tmp_path, "replay", "EXEC-404", str(log), "--yes", "--replay-url",
                    "http://127.0.0.1:9/replay")
    assert unknown.returncode == 2
    assert unknown.stderr == "wftui: EXEC-404 is not in the given log files\n"
    no_hook = wftui(tmp_path, "replay", "EXEC-1", str(log), "--yes")
    assert no_hook.returncode == 2 and "no replay hook configured" in no_hook.stderr
    config = tmp_path / "wftui.toml"
    config.write_text('[replay]\ncommand = "myapp --id={execution_id}"\n', encoding="utf-8")
    bad = wftui(tmp_path, "replay", "EXEC-1", str(log), "--yes", "--config", str(config))
    assert bad.returncode == 2
    assert bad.stderr.startswith("wftui: config: replay.command: placeholder {execution_id} "
                                 "must be a whole argument")


def test_replay_hook_failure_exits_1_with_stderr_shown(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    script = tmp_path / "fail.py"
    script.write_text("import sys\nprint('service said no', file=sys.stderr)\nsys.exit(3)\n",
                      encoding="utf-8")
    config = tmp_path / "wftui.toml"
    config.write_text(f'[replay]\ncommand = ["{sys.executable}", "{script}", '
                      '"{execution_id}", "{context_file}"]\ntimeout = "10s"\n',
                      encoding="utf-8")
    done = wftui(tmp_path, "replay", "EXEC-1", str(log), "--yes", "--config", str(config))
    assert done.returncode == 1 and done.stdout == ""
    assert "the hook failed with exit code 3: service said no (took" in done.stderr
    assert "Traceback" not in done.stderr
    record = json.loads((tmp_path / "st" / "wftui" / "replays.jsonl").read_text()
                        .splitlines()[-1])  # the end record
    assert record["outcome"]["exit_code"] == 3 and record["new_id"] is None


def test_options_may_follow_the_ids_in_replay_diff_and_check(tmp_path: Path) -> None:
    """The README's `wftui replay EXEC --yes app.log`: options anywhere among the ids."""
    log = tmp_path / "app.log"
    write_log(log)
    script = tmp_path / "hook.py"
    script.write_text("import json, sys\nprint(json.dumps({'execution_id': sys.argv[1] + "
                      "'-replay-7'}))\n", encoding="utf-8")
    replayed = wftui(tmp_path, "replay", "EXEC-1", "--yes", str(log), "--replay-cmd",
                     f"{sys.executable} {script} {{execution_id}}")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == "EXEC-1-replay-7\n"
    compared = wftui(tmp_path, "diff", "EXEC-1", "--format", "json", "EXEC-1-replay", str(log))
    assert compared.returncode == 1, compared.stderr
    assert json.loads(compared.stdout)["differs"] is True
    checked = wftui(tmp_path, "check", "--format", "json", str(log), "--window", "all")
    assert checked.returncode in (0, 1), checked.stderr
    assert json.loads(checked.stdout)["executions"]["total"] == 2


def test_diff_help_says_what_the_exit_status_means() -> None:
    done = run_wftui(["diff", "--help"], cwd=REPO_ROOT)
    assert done.returncode == 0
    status = done.stdout[done.stdout.index("exit status:"):]
    assert "0  the two executions do not differ" in status
    assert "1  they differ" in status
    assert "2  an execution is not in the files" in status


@pytest.mark.parametrize("where", ["id", "file", "option"])
def test_diff_never_prints_raw_escapes_from_the_command_line(tmp_path: Path,
                                                             where: str) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    hostile = "X\x1b]0;pwned\x07\x1b[31m"
    args = {"id": ["EXEC-1", hostile, str(log)],
            "file": ["EXEC-1", "EXEC-1-replay", str(tmp_path / hostile)],
            "option": ["EXEC-1", "EXEC-1-replay", str(log), "--" + hostile]}[where]
    done = wftui(tmp_path, "diff", *args)
    assert done.returncode == 2
    shown = done.stdout + done.stderr
    assert "\x1b" not in shown and "\x07" not in shown
    assert "X\u241b]0;pwned\u2407\u241b[31m" in shown  # said, made visible


def test_diff_labels_made_of_ids_are_made_visible(tmp_path: Path) -> None:
    """Two executions that are not original and replay are labelled by their ids."""
    log = tmp_path / "app.log"
    hostile = "B\x1b[31m"
    log.write_text("".join(json.dumps({"event": "workflow_start", "execution_id": eid,
                                       "timestamp": T0}) + "\n" for eid in ("A", hostile)),
                   encoding="utf-8")
    done = wftui(tmp_path, "diff", "A", hostile, str(log))
    assert done.returncode in (0, 1), done.stderr
    assert "\x1b" not in done.stdout
    assert "B\u241b[31m" in done.stdout


def _gone(pid: int) -> bool:
    """The process no longer runs (gone, or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.mark.parametrize(("signum", "why"), [(signal.SIGTERM, "SIGTERM"),
                                             (signal.SIGHUP, "SIGHUP"),
                                             (signal.SIGINT, "ctrl+c (SIGINT)")])
def test_a_signal_to_headless_replay_stops_the_hook_and_is_audited(
        tmp_path: Path, signum: int, why: str) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    facts = tmp_path / "facts.json"
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"tmp = {str(facts)!r} + '.tmp'\n"
        "open(tmp, 'w').write(json.dumps({'hook': os.getpid(), 'child': child.pid,\n"
        "                                 'context': sys.argv[2]}))\n"
        f"os.rename(tmp, {str(facts)!r})\n"
        "time.sleep(300)\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "wftui", "replay", "EXEC-1", "--yes", str(log),
         "--replay-cmd", f"{sys.executable} {script} {{execution_id}} {{context_file}}"],
        env=env_for(tmp_path), cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not facts.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the hook says when it runs by a file: nothing to await
        assert facts.exists(), process.communicate(timeout=30)
        seen = json.loads(facts.read_text())
        assert Path(seen["context"]).exists()
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
    # the hook's timeout is 30 s: all of this happened at once, not at the timeout
    assert process.returncode == (130 if signum == signal.SIGINT else 128 + signum)
    assert out == b"" and b"Traceback" not in err
    assert f"interrupted by {why}".encode() in err
    for pid in (seen["hook"], seen["child"]):
        assert _gone(pid), f"process {pid} of the hook still runs"
    assert not Path(seen["context"]).exists(), "the context file was left behind"
    audit = (tmp_path / "st" / "wftui" / "replays.jsonl").read_text().splitlines()
    start, end = (json.loads(line) for line in audit)
    assert (start["phase"], end["phase"]) == ("start", "end")
    assert start["attempt"] == end["attempt"] and start["original_id"] == "EXEC-1"
    assert end["outcome"]["ok"] is False and end["outcome"]["interrupted"] == why
    assert end["new_id"] is None


def test_replay_is_refused_when_the_audit_log_cannot_be_written(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log)
    (tmp_path / "st").write_text("a file where the state directory should be")
    marker = tmp_path / "ran"
    script = tmp_path / "hook.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    done = wftui(tmp_path, "replay", "EXEC-1", "--yes", str(log), "--replay-cmd",
                 f"{sys.executable} {script} {{execution_id}}")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[-1].startswith(
        "wftui: refusing to replay: cannot write the audit log")
    assert not marker.exists()


def test_diff_and_replay_on_a_log_they_do_not_understand_say_so(tmp_path: Path) -> None:
    """A structlog log read without its [logs] mapping: no line is an event, so no
    execution is in it. "RUN-1 is not in the given log files" sent the operator looking
    for a typo in the id; the answer names the file not understood, as check does."""
    log = tmp_path / "sl.log"
    log.write_text("".join(json.dumps({"event": kind, "run": "RUN-1", "timestamp": T0 + t})
                           + "\n" for t, kind in enumerate(("run.begin", "run.end"))))
    why = (f"{log}: none of its 2 lines is an event; its lines have the fields "
           "event (2), run (2), timestamp (2)")
    diff = wftui(tmp_path, "diff", "RUN-1", "RUN-2", str(log))
    assert diff.returncode == 2
    assert diff.stderr.startswith(f"wftui: RUN-1 is not in the given log files: {why}"), \
        diff.stderr
    replay = wftui(tmp_path, "replay", "RUN-1", str(log), "--yes", "--replay-url",
                   "http://127.0.0.1:9/replay")
    assert replay.returncode == 2
    assert replay.stderr.startswith(f"wftui: RUN-1 is not in the given log files: {why}"), \
        replay.stderr


def test_an_id_not_found_names_the_files_that_could_not_be_read(tmp_path: Path) -> None:
    """A mistyped file name among the logs: "EXEC-1-replay is not in the given log files"
    alone sent the operator looking for a missing execution, not at the file never
    read. diff and replay name it; diff warns of it when both executions are found."""
    log = tmp_path / "app.log"
    write_log(log)
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    first.write_text("".join(lines[:5]), encoding="utf-8")  # EXEC-1
    second.write_text("".join(lines[5:]), encoding="utf-8")  # EXEC-1-replay
    typo = tmp_path / "secnod.log"
    missing = wftui(tmp_path, "diff", "EXEC-1", "EXEC-1-replay", str(first), str(typo))
    assert missing.returncode == 2
    assert missing.stderr == (f"wftui: EXEC-1-replay is not in the given log files "
                              f"(not read: {typo}: no such file)\n")
    found = wftui(tmp_path, "diff", "EXEC-1", "EXEC-1-replay", str(first), str(second),
                  str(typo))
    assert found.returncode == 1  # they differ, as with every file read
    assert found.stderr == f"wftui: warning: not read: {typo}: no such file\n"
    replay = wftui(tmp_path, "replay", "EXEC-1-replay", str(first), str(typo), "--dry-run",
                   "--replay-url", "http://127.0.0.1:9/replay")
    assert replay.returncode == 2
    assert replay.stderr == (f"wftui: EXEC-1-replay is not in the given log files "
                             f"(not read: {typo}: no such file)\n")


@pytest.mark.parametrize("ratio", ["1e999", "0.5"])
def test_a_context_holding_a_128_bit_integer_goes_to_the_hook_as_logged(
        tmp_path: Path, ratio: str) -> None:
    """The context file of a context with an integer past 64 bits: beside a number JSON
    cannot hold (1e999), orjson refused to write it, `wftui replay` ended in a traceback
    after its audit said 'interrupted by TypeError', and the empty context file stayed in
    /tmp; alone, it was read as a float and the hook got 1.7014118346046923e+38."""
    big = 2**127 + 3
    log = tmp_path / "app.log"
    log.write_text('{"event": "workflow_start", "execution_id": "EXEC-9", "timestamp": 1, '
                   f'"workflow_name": "w", "context": {{"uuid": {big}, "ratio": {ratio}}}}}\n',
                   encoding="utf-8")
    script = tmp_path / "hook.py"
    script.write_text("import json, sys\nprint(json.dumps({'got': open(sys.argv[1]).read(),"
                      " 'file': sys.argv[1]}))\n", encoding="utf-8")
    done = wftui(tmp_path, "replay", "EXEC-9", str(log), "--yes", "--replay-cmd",
                 f"{sys.executable} {script} {{context_file}}")
    assert "Traceback" not in done.stderr, done.stderr
    record = json.loads((tmp_path / "st" / "wftui" / "replays.jsonl").read_text()
                        .splitlines()[-1])
    assert record["outcome"]["ok"] is True, record
    said = json.loads(record["outcome"]["stdout_tail"])
    written = None if ratio == "1e999" else 0.5  # an infinity is null in JSON
    assert json.loads(said["got"]) == {"uuid": big, "ratio": written}
    assert not Path(said["file"]).exists()  # removed afterwards
