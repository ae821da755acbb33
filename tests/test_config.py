"""Settings (issue 2 item 6, STYLE "Configuration"): the XDG file or --config, then
WFTUI_* environment, then CLI flags; a bad file is one ConfigError naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from wftui.config import ConfigError, default_config_path, load_settings, parse_duration
from wftui.core.thresholds import DEFAULT_THRESHOLDS


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
])
def test_bad_file_names_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path))
    message = str(caught.value)
    assert named in message
    assert "\n" not in message


def test_clear_above_names_the_threshold(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.toml", '[thresholds.queue_depth]\nclear = 20000\n')
    with pytest.raises(ConfigError, match="queue_depth"):
        load_settings(str(path))


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.toml", 'window = "5m\n[thresholds\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path))
    assert "broken.toml" in str(caught.value)


def test_config_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    """An editor that saved the file as Latin-1: a clear error, not UnicodeDecodeError."""
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'window = "5m"\n# caf\xe9\n')
    with pytest.raises(ConfigError, match="latin1.toml"):
        load_settings(str(path))


def test_config_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_settings(str(tmp_path))


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
    (45, 45.0), ("90", 90.0)])
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value, "x") == seconds


@pytest.mark.parametrize("value", ["", "0s", "-5m", "5 minutes", "all", True, None, "1e3s"])
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ConfigError, match="where"):
        parse_duration(value, "where")
