"""Settings: the XDG file or --config, then WFTUI_* environment, then CLI flags; a bad
file is one ConfigError naming the file and the key (docs/configuration.md). A config
path that is not a regular file is refused without blocking, and commands and URLs from
a file other users could write are not used (docs/reliability.md)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.forked import run_wftui
from wftui.config import (
    MAX_CONFIG_BYTES,
    ConfigError,
    Settings,
    default_config_path,
    load_settings,
    parse_duration,
)
from wftui.core.thresholds import DEFAULT_THRESHOLDS

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real user config or WFTUI_* variable may leak into a test."""
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    for name in ("WFTUI_CONFIG", "WFTUI_WINDOW", "WFTUI_IDLE_TIMEOUT", "WFTUI_RETENTION"):
        monkeypatch.delenv(name, raising=False)
    return xdg


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def thresholds_by_name(settings):  # type: ignore[no-untyped-def]
    return {t.name: t for t in settings.thresholds}


def test_defaults_without_any_file() -> None:
    settings = load_settings()
    assert settings.window_s == 300.0
    assert settings.idle_timeout_s == 30.0
    assert settings.retention == 50_000
    assert settings.thresholds == DEFAULT_THRESHOLDS


def test_xdg_config_home_file_is_picked_up(clean_env: Path) -> None:
    path = write(clean_env / "wftui" / "config.toml", """
window = "1m"
idle_timeout = "45s"
retention = 1234

[thresholds.error_rate]
threshold = 0.1
for = "2m"
clear = 0.08

[thresholds.queue_depth]
enabled = false
""")
    assert default_config_path() == path
    settings = load_settings()
    assert settings.window_s == 60.0
    assert settings.idle_timeout_s == 45.0
    assert settings.retention == 1234
    by_name = thresholds_by_name(settings)
    assert by_name["error_rate"].above == 0.1
    assert by_name["error_rate"].for_s == 120.0
    assert by_name["error_rate"].clear == 0.08
    assert by_name["queue_depth"].enabled is False
    assert by_name["latency_p95_s"].above == 60.0  # untouched: the default
    assert settings.config_path == path


def test_config_option_wins_over_the_xdg_file(clean_env: Path, tmp_path: Path) -> None:
    write(clean_env / "wftui" / "config.toml", 'window = "1m"\n')
    chosen = write(tmp_path / "mine.toml", 'window = "15m"\n')
    assert load_settings(str(chosen)).window_s == 900.0


def test_window_all_means_everything(tmp_path: Path) -> None:
    assert load_settings(str(write(tmp_path / "c.toml", 'window = "all"\n'))).window_s is None
    assert load_settings(window="all").window_s is None


def test_precedence_cli_then_env_then_file_then_defaults(
        monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> None:
    write(clean_env / "wftui" / "config.toml",
          'window = "15m"\nidle_timeout = "10s"\nretention = 10\n')
    assert load_settings().window_s == 900.0  # file over defaults
    monkeypatch.setenv("WFTUI_WINDOW", "1h")
    monkeypatch.setenv("WFTUI_IDLE_TIMEOUT", "20s")
    monkeypatch.setenv("WFTUI_RETENTION", "20")
    settings = load_settings()
    assert (settings.window_s, settings.idle_timeout_s, settings.retention) == (3600.0, 20.0, 20)
    settings = load_settings(window="1m", idle_timeout="5s", retention=30)
    assert (settings.window_s, settings.idle_timeout_s, settings.retention) == (60.0, 5.0, 30)
    # a layer that says nothing leaves the one below in place
    settings = load_settings(window="1m")
    assert (settings.window_s, settings.idle_timeout_s, settings.retention) == (60.0, 20.0, 20)


def test_env_config_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WFTUI_CONFIG", str(write(tmp_path / "env.toml", 'retention = 7\n')))
    assert load_settings().retention == 7


@pytest.mark.parametrize("value", ["0", "0s", "0m", 0, 0.0])
def test_for_zero_means_fire_at_once(tmp_path: Path, value: object) -> None:
    """`for` is how long a breach must hold: zero, in any unit, is "no wait"."""
    text = f"[thresholds.error_rate]\nfor = {value!r}\n".replace("'", '"')
    settings = load_settings(str(write(tmp_path / "c.toml", text)))
    assert thresholds_by_name(settings)["error_rate"].for_s == 0.0


@pytest.mark.parametrize(("text", "named"), [
    ('windw = "5m"\n', "windw"),  # unknown key
    ('[thresholds.error_rat]\nthreshold = 0.1\n', "error_rat"),
    ('[thresholds.error_rate]\nthreshhold = 0.1\n', "threshhold"),
    ('[thresholds.error_rate]\nthreshold = "high"\n', "threshold"),  # wrong type
    ('[thresholds.error_rate]\nenabled = "no"\n', "enabled"),
    ('[thresholds.error_rate]\naction = 5\n', "action"),
    ('retention = "many"\n', "retention"),
    ('retention = 0\n', "retention"),
    ('window = "5 minutes"\n', "window"),  # bad duration
    ('window = -5\n', "window"),
    ('idle_timeout = "soon"\n', "idle_timeout"),
    ('[thresholds.latency_p95_s]\nfor = "a while"\n', "for"),
    ('[thresholds.error_rate]\nthreshold = 0.05\nclear = 0.1\n', "clear"),  # clear above
    ('thresholds = 5\n', "thresholds"),
    ('[metrics]\nintervall = "5s"\n', "metrics.intervall: unknown key"),
    ('[metrics]\ninterval = "often"\n', "metrics.interval: expected a duration"),
    ('[metrics]\nmax_body_mb = 0\n', "metrics.max_body_mb"),
    ('[metrics.names]\nqueue_depth = []\n', "metrics.names.queue_depth"),
    ('[metrics.names]\nexecutions = 5\n', "metrics.names.executions: expected text"),
    ('[prometheus.queries]\nlatency = " "\n', "prometheus.queries.latency"),
    ('[prometheus.queries]\nlatencyy = "x"\n', "prometheus.queries.latencyy: unknown key"),
    ('[replay]\ncomand = "x {execution_id}"\n', "replay.comand: unknown key"),
    ('[notify]\ntimeout = "soon"\n', "notify.timeout: expected a duration"),
    ('[notify]\ncommand = 42\n', "notify.command"),
    ('[health]\nurl = "http://x/health"\n', "health.url: unknown key"),
    ('[thresholds.error_rate]\nthreshold = nan\n', "thresholds.error_rate.threshold"),
    ('window = true\n', "window: expected a duration"),
])
def test_bad_file_names_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        settings = load_settings(str(path))
        assert settings.refused == ()
    message = str(caught.value)
    assert named in message
    assert message.startswith(f"{path}: ")
    assert "\n" not in message


def test_clear_above_names_the_threshold(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.toml", '[thresholds.queue_depth]\nclear = 20000\n')
    with pytest.raises(ConfigError, match="queue_depth"):
        settings = load_settings(str(path))
        assert settings.refused == ()


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.toml", 'window = "5m\n[thresholds\n')
    with pytest.raises(ConfigError) as caught:
        settings = load_settings(str(path))
        assert settings.refused == ()
    assert "broken.toml" in str(caught.value)


def test_config_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    """An editor that saved the file as Latin-1: a clear error, not UnicodeDecodeError."""
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'window = "5m"\n# caf\xe9\n')
    with pytest.raises(ConfigError, match="latin1.toml"):
        settings = load_settings(str(path))
        assert settings.refused == ()


def load_within(path: str | None = None, seconds: float = 10.0, *,
                environ: dict[str, str] | None = None) -> Settings | BaseException:
    """load_settings in a daemon thread: what it returned or raised, or a test failure
    after `seconds` (a config read that blocks must fail the test, not hang the suite)."""
    outcome: list[Settings | BaseException] = []

    def load() -> None:
        try:
            outcome.append(load_settings(path, environ=environ))
        except BaseException as error:  # handed to the test thread to assert on
            outcome.append(error)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        pytest.fail(f"reading the config {path or environ} blocked for {seconds}s")
    return outcome[0]


def refusal(path: str | None = None, **kwargs: Any) -> str:
    result = load_within(path, **kwargs)
    assert isinstance(result, ConfigError), f"expected a ConfigError, got {result!r}"
    message = str(result)
    assert "\n" not in message
    return message


def test_config_path_is_a_directory(tmp_path: Path) -> None:
    message = refusal(str(tmp_path))
    assert str(tmp_path) in message and "directory" in message


def test_config_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    """A plain open() of a FIFO waits for a writer forever; the config read must not."""
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    message = refusal(str(fifo))
    assert "FIFO" in message and str(fifo) in message


def test_config_fifo_with_a_writer_is_still_refused(tmp_path: Path) -> None:
    """With a writer attached the FIFO would give data (and never end): still refused."""
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # O_RDWR: opens without a reader
    try:
        os.write(writer, b'window = "1m"\n')
        assert "FIFO" in refusal(str(fifo))
    finally:
        os.close(writer)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_config_device_is_refused(device: str) -> None:
    """/dev/zero used to end in a MemoryError and /dev/urandom in a hang."""
    if not Path(device).exists():
        pytest.skip(f"{device} is not on this system")
    message = refusal(device)
    assert device in message and "character device" in message
    # The same through the environment variable.
    assert device in refusal(environ={"WFTUI_CONFIG": device})


def test_a_fifo_at_the_default_path_is_refused_not_skipped(clean_env: Path) -> None:
    (clean_env / "wftui").mkdir()
    os.mkfifo(clean_env / "wftui" / "config.toml")
    assert "FIFO" in refusal()


def test_config_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    line = b"# " + b"x" * 1021 + b"\n"
    path.write_bytes(b'window = "1m"\n' + line * (MAX_CONFIG_BYTES // len(line) + 1))
    message = refusal(str(path))
    assert "too big" in message and "huge.toml" in message
    # Just under the cap is a config like any other.
    path.write_bytes(b'window = "1m"\n' + line * ((MAX_CONFIG_BYTES - 20) // len(line)))
    assert load_settings(str(path)).window_s == 60.0


def test_config_cli_refuses_a_fifo_with_one_line_and_exit_2(tmp_path: Path) -> None:
    fifo = tmp_path / "wftui.toml"
    os.mkfifo(fifo)
    log = tmp_path / "app.log"
    log.write_text("")
    env = {**os.environ, "PYTHONPATH": str(REPO), "WFTUI_CONFIG": str(fifo)}
    result = run_wftui(["check", str(log)], env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "FIFO" in result.stderr
    assert "Traceback" not in result.stderr


HOOKS = """
[thresholds.error_rate]
threshold = 0.2

[replay]
command = "myapp replay {execution_id}"
timeout = "10s"

[notify]
url = "http://127.0.0.1:9/hook"
"""


@pytest.mark.parametrize(("mode", "who"), [
    (0o666, "group and others"), (0o646, "others"), (0o664, "its group")])
def test_loose_config_keeps_thresholds_but_not_commands_or_urls(
        tmp_path: Path, mode: int, who: str) -> None:
    path = write(tmp_path / "loose.toml", HOOKS)
    path.chmod(mode)
    settings = load_settings(str(path))
    assert thresholds_by_name(settings)["error_rate"].above == 0.2
    assert settings.section("replay") == {"timeout": "10s"}
    assert settings.section("notify") == {}
    assert len(settings.refused) == 2
    for line, key in zip(settings.refused, ("replay.command", "notify.url"), strict=True):
        assert key in line and str(path) in line and who in line
        assert f"chmod go-w {path}" in line
        assert "\n" not in line


def test_private_config_keeps_its_commands(tmp_path: Path) -> None:
    path = write(tmp_path / "mine.toml", HOOKS)
    path.chmod(0o644)
    settings = load_settings(str(path))
    assert settings.refused == ()
    assert settings.section("replay")["command"] == "myapp replay {execution_id}"
    assert settings.section("notify")["url"] == "http://127.0.0.1:9/hook"


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a file to another user")
def test_config_owned_by_another_user_keeps_no_commands(tmp_path: Path) -> None:
    path = write(tmp_path / "theirs.toml", HOOKS)
    path.chmod(0o644)
    os.chown(path, 65534, 65534)
    settings = load_settings(str(path))
    assert thresholds_by_name(settings)["error_rate"].above == 0.2
    assert "command" not in settings.section("replay")
    assert all("another user (uid 65534)" in line for line in settings.refused)
    assert len(settings.refused) == 2


def test_cli_says_why_a_replay_command_was_not_used(tmp_path: Path) -> None:
    path = write(tmp_path / "loose.toml", HOOKS)
    path.chmod(0o666)
    log = tmp_path / "app.log"
    log.write_text("")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = run_wftui(["check", "--config", str(path), str(log)], env=env)
    assert f"replay.command not used: it is writable by group and others (mode 0666); " \
           f"fix it with: chmod go-w {path}" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_xdg_file_is_an_error_too(clean_env: Path) -> None:
    write(clean_env / "wftui" / "config.toml", 'windw = 1\n')
    with pytest.raises(ConfigError, match="windw"):
        load_settings()


def test_missing_config_option_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml"):
        load_settings(str(tmp_path / "nope.toml"))


@pytest.mark.parametrize(("variable", "value"), [
    ("WFTUI_WINDOW", "forever"), ("WFTUI_IDLE_TIMEOUT", "x"), ("WFTUI_RETENTION", "lots")])
def test_bad_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str,
                                          value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load_settings()


@pytest.mark.parametrize(("value", "seconds"), [
    ("30s", 30.0), ("5m", 300.0), ("1.5h", 5400.0), ("250ms", 0.25), ("2d", 172800.0),
    (45, 45.0), ("90", 90.0),
    # compound, as Prometheus writes them
    ("1h30m", 5400.0), ("54m30s", 3270.0), ("1d12h", 129_600.0), ("1m500ms", 60.5)])
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value, "x") == seconds


@pytest.mark.parametrize("value", ["", "0s", "-5m", "5 minutes", "all", True, None, "1e3s",
                                   "1h30", "h30m", "1h-30m"])
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ConfigError, match="where"):
        parse_duration(value, "where")


def toml_blocks(path: Path) -> list[str]:
    """The ```toml examples of a document."""
    text = path.read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in text.split("```toml\n")[1:]]


@pytest.mark.parametrize("document", ["README.md", "docs/configuration.md"])
def test_every_documented_example_config_loads(tmp_path: Path, document: str) -> None:
    """Every key the documents show is one the schema takes (and vice versa in review)."""
    blocks = toml_blocks(REPO / document)
    assert blocks, f"no toml example in {document}"
    for index, block in enumerate(blocks):
        path = write(tmp_path / f"example-{index}.toml", block)
        path.chmod(0o600)
        settings = load_settings(str(path))
        assert settings.refused == ()


def test_every_schema_key_is_documented() -> None:
    """docs/configuration.md names every key the schema takes (`key` or a [table] heading)."""
    import msgspec

    from wftui.config_schema import ConfigFile

    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing: list[str] = []

    def walk(struct: type, prefix: str) -> None:
        for field in msgspec.structs.fields(struct):
            key = f"{prefix}{field.encode_name}"
            if f"`{field.encode_name}`" not in doc and f"[{key}" not in doc:
                missing.append(key)
            for member in getattr(field.type, "__args__", (field.type,)):
                if isinstance(member, type) and issubclass(member, msgspec.Struct):
                    walk(member, f"{key}.")

    walk(ConfigFile, "")
    assert missing == []


@pytest.mark.parametrize("toml", ["window = 1e308\n",
                                  "[thresholds.latency_p95_s]\nthreshold = 1e308\n"])
def test_a_huge_but_finite_duration_is_shown_not_a_traceback(tmp_path: Path,
                                                             toml: str) -> None:
    """1e308 seconds is a valid TOML float the schema accepts (finite, positive); the
    text output once multiplied it by 1000 to pick milliseconds and crashed on inf."""
    path = write(tmp_path / "c.toml", toml)
    log = REPO / "tests" / "fixtures" / "logs" / "support_check.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = run_wftui(["check", "--config", str(path), "--format", "text", str(log)],
                       env=env)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr  # the error rate fires, as without it
    assert "window" in result.stdout
