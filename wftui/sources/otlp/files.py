"""OTLP JSON files (the OpenTelemetry Collector's file exporter: one request per line),
recognised by their content and read like any log.

`LineRouter` stands between the file reader and the ledger: a source whose first lines
are mostly OTLP requests (`resourceSpans` / `resourceLogs`; a torn first line or a
banner does not make it a log: `otlp_verdict`) has each line read as one request
and turned into event lines (`wftui.core.spans`); any other source goes to the ledger
as it is. A line of an OTLP file that does not decode is malformed, with its number and
the reason, and the rest of the file still counts.
"""

from __future__ import annotations

import gzip
import os
import stat
import time
from typing import Any

import orjson

from wftui.core.ledger import Ledger
from wftui.core.spans import REJECTED_SPANS, Prices, SpanReader
from wftui.sources.filereader import (
    OTLP_SNIFF_HEAD_BYTES,
    OTLP_SNIFF_LINES,
    head_looks_like_otlp,
    otlp_line_kind,
    otlp_verdict,
)

SNIFF_BYTES = OTLP_SNIFF_HEAD_BYTES
LOG, OTLP = "log", "otlp"


def otlp_kind(value: Any) -> str | None:
    """"traces" / "logs" for a parsed OTLP request object, else None."""
    if type(value) is dict:
        if "resourceSpans" in value:
            return "traces"
        if "resourceLogs" in value:
            return "logs"
    return None


def is_otlp_file(path: str) -> bool:
    """Sniff a regular file's first lines (gzip too); False when it cannot be read.
    A FIFO or device is never opened here: its data belongs to the reader."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as raw:
            start = raw.read(2)
        opener: Any = gzip.open if start == b"\x1f\x8b" else open
        with opener(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile):
        return False
    return head_looks_like_otlp(head, whole=len(head) < SNIFF_BYTES)


class LineRouter:
    """Feeds a ledger: log lines as they are, OTLP JSON lines read as requests."""

    def __init__(self, ledger: Ledger, prices: Prices | None = None) -> None:
        self.ledger = ledger
        self.prices = prices
        self.kinds: dict[str, str] = {}  # source -> LOG or OTLP, from its first lines
        # A source's first non-blank lines so far (`otlp_line_kind` of each), until
        # `OTLP_SNIFF_LINES` of them settle its kind.
        self.sniffed: dict[str, list[bool | None]] = {}
        self.readers: dict[str, SpanReader] = {}

    def ingest(self, source: str, first_lineno: int, lines: list[bytes],
               read_time: float | None = None) -> None:
        """One batch of consecutive lines of a source (as `Ledger.ingest_lines`)."""
        kind = self.kinds.get(source)
        if kind is None:
            # The first lines tell (`otlp_verdict`); a batch goes where the lines seen
            # so far say (following may hand them over one at a time).
            kinds = self.sniffed.setdefault(source, [])
            for line in lines:
                if len(kinds) == OTLP_SNIFF_LINES:
                    break
                if line.strip():
                    kinds.append(otlp_line_kind(line))
            kind = OTLP if otlp_verdict(kinds) else LOG
            if len(kinds) == OTLP_SNIFF_LINES:
                self.kinds[source] = kind
                del self.sniffed[source]
        self._route(kind, source, first_lineno, lines, read_time)

    def _route(self, kind: str, source: str, first_lineno: int, lines: list[bytes],
               read_time: float | None) -> None:
        if not lines:
            return
        if kind == LOG:
            self.ledger.ingest_lines(source, first_lineno, lines, read_time)
            return
        # Only here: the protobuf modules cost a log-only run's start time.
        from wftui.sources.otlp.decode import BodyError, message_from_dict

        reader = self.readers.get(source)
        if reader is None:
            reader = self.readers[source] = SpanReader(self.prices)
        now = read_time if read_time is not None else time.time()
        for lineno, line in enumerate(lines, first_lineno):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
                request_kind = otlp_kind(value)
                if request_kind is None:
                    raise BodyError("not an OTLP request (no resourceSpans or resourceLogs)")
                message = message_from_dict(value, request_kind)
            except orjson.JSONDecodeError as error:
                self.ledger.reject(source, lineno, f"not JSON: {error}", line)
                continue
            except BodyError as error:
                self.ledger.reject(source, lineno, str(error), line)
                continue
            out = (reader.read_traces(message, now) if request_kind == "traces"
                   else reader.read_logs(message, now))
            out.extend(reader.flush(now))
            # Each line counts once: one with skipped spans is malformed (with how many),
            # not also a request, though its other spans are read.
            self.ledger.count_request(source, whole=not reader.last_rejected)
            if reader.last_rejected:
                # What was wrong, as the receiver answers it: a span with no start time
                # was said to have ids of the wrong length.
                what = (REJECTED_SPANS if request_kind == "traces"
                        else "log record(s) with ids of the wrong length")
                self.ledger.reject(source, lineno, f"{reader.last_rejected} {what} skipped",
                                   line)
            if out:
                self.ledger.ingest_lines(source, lineno, out, read_time)

    def release_held(self, now: float) -> bool:
        """Traces of followed files that waited their `hold_s` without a name go out
        under their trace id, as the receiver's do: else a quiet file (a post-mortem, a
        Collector that stopped) held a rootless trace for ever, and the monitor showed
        an execution fewer than `check`. True when something went out."""
        released = False
        for source, reader in self.readers.items():
            out = reader.flush(now)
            if out:
                self.ledger.ingest_lines(source, 0, out, now)
                released = True
        return released

    def finish(self) -> None:
        """The end of every file: traces still waiting for a name take their trace id."""
        for source, reader in self.readers.items():
            out = reader.flush()
            if out:
                self.ledger.ingest_lines(source, 0, out)
