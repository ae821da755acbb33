"""`--otlp [HOST:]PORT`, `--otlp-token` and the config's `[otlp]` table -> a receiver.

```toml
[otlp]
listen = "127.0.0.1:4318"   # the receiver runs when this is set (or --otlp is given)
grpc_listen = "127.0.0.1:4317"  # OTLP/gRPC too (the grpc extra; or --otlp-grpc)
token = "..."               # require Authorization: Bearer <token> (or WFTUI_OTLP_TOKEN)
max_body = 16777216         # bytes of one request body (413 past it)
max_decompressed = 67108864 # bytes a gzip body may inflate to (413 past it)
[otlp.prices]               # USD per million tokens, for the cost column
"gpt-4o" = { input = 2.5, output = 10.0 }
```
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from typing import Any

from wftui.config import ConfigError, Settings, check_keys
from wftui.core.spans import Prices

DEFAULT_LISTEN = "127.0.0.1:4318"
KEYS = frozenset({"listen", "grpc_listen", "token", "max_body", "max_decompressed",
                  "prices"})
TOKEN_ENV = "WFTUI_OTLP_TOKEN"


@dataclass(frozen=True)
class OtlpSettings:
    """Where the receiver listens and what it accepts."""

    host: str
    port: int | None  # None: OTLP/gRPC only
    token: str | None = None
    grpc_address: tuple[str, int] | None = None
    max_body: int = 16 * 1024 * 1024
    max_decompressed: int = 64 * 1024 * 1024
    prices: Prices = field(default_factory=dict)


def add_otlp_arguments(parser: argparse.ArgumentParser) -> None:
    """The receiver's flags (the TUI and `watch`)."""
    parser.add_argument("--otlp", metavar="[HOST:]PORT",
                        help="receive OpenTelemetry traces and logs over OTLP/HTTP here "
                             f"(e.g. {DEFAULT_LISTEN}; loopback unless a host is given)")
    parser.add_argument("--otlp-token", metavar="TOKEN",
                        help="require 'Authorization: Bearer TOKEN' from OTLP senders "
                             f"(or {TOKEN_ENV})")
    parser.add_argument("--otlp-grpc", metavar="[HOST:]PORT",
                        help="receive OTLP/gRPC too (e.g. 127.0.0.1:4317; needs "
                             "pip install 'wftui[grpc]')")


def _bytes(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise ConfigError(f"{where}: expected a number of bytes > 0, got {value!r}")


def prices_from(table: Any, where: str) -> Prices:
    """`[otlp.prices]`: model -> {input, output} USD per million tokens."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of models")
    prices: Prices = {}
    for model, spec in table.items():
        at = f"{where}.{model}"
        check_keys(spec, {"input", "output"}, at)
        pair = []
        for key in ("input", "output"):
            value = spec.get(key, 0.0)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{at}.{key}: expected USD per million tokens >= 0, "
                                  f"got {value!r}")
            pair.append(float(value))
        prices[model] = (pair[0], pair[1])
    return prices


# Here, not in the receiver: checking a flag must not load aiohttp and the protobufs
# (a bad --otlp is refused in 0.2 s instead of 0.7 s).
def parse_address(text: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """`[HOST:]PORT` (IPv6 in brackets) -> (host, port); ValueError with the reason."""
    text = text.strip()
    host, port_text = default_host, text
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or text[end + 1:end + 2] != ":":
            raise ValueError(f"{text!r}: expected [HOST]:PORT")
        host, port_text = text[1:end], text[end + 2:]
    elif ":" in text:
        host, port_text = text.rsplit(":", 1)
        host = host or default_host
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return host, int(port_text)


def _address(value: Any, where: str) -> tuple[str, int]:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected [HOST:]PORT, got {value!r}")
    try:
        return parse_address(value)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None


def otlp_settings(settings: Settings, listen: str | None = None, token: str | None = None,
                  environ: dict[str, str] | None = None, grpc_listen: str | None = None
                  ) -> OtlpSettings | None:
    """The receiver's settings, or None when neither the flags nor the config ask for
    one. Raises ConfigError with a one-line reason."""
    table = check_keys(settings.section("otlp"), KEYS, "otlp")
    prices = prices_from(table.get("prices", {}), "otlp.prices")  # files use it too
    address = listen if listen is not None else table.get("listen")
    grpc_text = grpc_listen if grpc_listen is not None else table.get("grpc_listen")
    if address is None and grpc_text is None:
        return None
    host, port = "127.0.0.1", None
    if address is not None:
        host, port = _address(address, "--otlp" if listen is not None else "otlp.listen")
    grpc_address = None
    if grpc_text is not None:
        where = "--otlp-grpc" if grpc_listen is not None else "otlp.grpc_listen"
        grpc_address = _address(grpc_text, where)
        try:
            import grpc  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            raise ConfigError(f"{where}: OTLP/gRPC needs the grpc extra "
                              "(pip install 'wftui[grpc]')") from None
        if address is None:
            host = grpc_address[0]
    env = os.environ if environ is None else environ
    secret = token if token is not None else env.get(TOKEN_ENV) or table.get("token")
    if secret is not None and (not isinstance(secret, str) or not secret.strip()):
        raise ConfigError("otlp token: expected non-empty text")
    return OtlpSettings(
        host=host, port=port, token=secret, grpc_address=grpc_address,
        max_body=_bytes(table.get("max_body", 16 * 1024 * 1024), "otlp.max_body"),
        max_decompressed=_bytes(table.get("max_decompressed", 64 * 1024 * 1024),
                                "otlp.max_decompressed"),
        prices=prices)


def receiver_from(options: argparse.Namespace, settings: Settings) -> Any:
    """An OtlpReceiver for the options and config (None when not asked for)."""
    chosen = otlp_settings(settings, getattr(options, "otlp", None),
                           getattr(options, "otlp_token", None),
                           grpc_listen=getattr(options, "otlp_grpc", None))
    if chosen is None:
        if getattr(options, "otlp_token", None) is not None:
            raise ConfigError("--otlp-token: give --otlp [HOST:]PORT (or --otlp-grpc) too")
        return None
    from wftui.core.spans import SpanReader
    from wftui.sources.otlp.receiver import OtlpReceiver, ReceiverLimits

    limits = ReceiverLimits(body_bytes=chosen.max_body,
                            decompressed_bytes=chosen.max_decompressed)
    return OtlpReceiver(chosen.host, chosen.port, reader=SpanReader(chosen.prices),
                        token=chosen.token, limits=limits,
                        grpc_address=chosen.grpc_address)


def configured_prices(settings: Settings) -> Prices:
    """`[otlp.prices]` for OTLP JSON files the monitor follows ({} when unusable: the
    commands have already said why, through `receiver_from`)."""
    try:
        return prices_from(settings.section("otlp").get("prices", {}), "otlp.prices")
    except ConfigError:
        return {}


def wait_listening(receiver: Any, timeout: float = 10.0) -> str | None:
    """After the monitor started: None once the receiver listens, else why it cannot
    (a port in use is a usage error at start, not a surprise later)."""
    import time

    deadline = time.monotonic() + timeout
    while not receiver.listening and receiver.error is None:
        if time.monotonic() > deadline:
            return f"the OTLP receiver ({receiver.name}) did not start"
        time.sleep(0.01)
    return receiver.error
