"""Turning a scraped ``/metrics`` body into the few samples wftui needs.

Pure (no IO) and CPU-bound: the scraper runs :func:`parse_exposition` in a worker thread.
Before parsing, lines are filtered down to the configured metric families (plus their
``# TYPE``/``# HELP``/``# UNIT`` lines and ``# EOF``), because prometheus_client's parsers
cost ~20 us a line and a service can expose thousands of series wftui never reads.
The parser is picked by Content-Type: OpenMetrics text read by the Prometheus text parser
silently corrupts data (exemplars become timestamps, ``# EOF`` is ignored).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as text_families

from wftui.core.mapping import FAILURE_WORDS, SUCCESS_WORDS
from wftui.sources.failures import clean_line

#: Sent on every scrape. Both formats are accepted; Prometheus text is preferred because
#: wftui reads it ~10 times faster (plain lines skip prometheus_client's parser, see
#: plain_text_samples) and OpenMetrics adds nothing wftui reads (exemplars, ``_created``);
#: a truncated body is caught by HTTP framing either way. ``version=1.0.0`` comes first
#: because prometheus_client serves OpenMetrics whenever it is listed, ignoring q-values,
#: unless a text/plain entry of version >= 1.0.0 precedes it.
ACCEPT_HEADER = (
    "text/plain;version=1.0.0;escaping=underscores;q=0.6,"
    "text/plain;version=0.0.4;q=0.5,"
    "application/openmetrics-text;version=1.0.0;q=0.4,"
    "application/openmetrics-text;version=0.0.1;q=0.3,"
    "*/*;q=0.1"
)


class ExpositionError(ValueError):
    """The body could not be read as a metrics exposition; the message is one line."""


@dataclass(frozen=True)
class MetricNames:
    """Names of the metrics wftui reads; the defaults are docs/configuration.md's.

    ``executions`` may be given with or without ``_total`` (prometheus_client's parser
    strips it from counter family names; the sample keeps it). ``queue_depth`` lists
    gauges in order of preference: the first one a target exposes is used.
    """

    executions: str = "workflow_executions_total"
    #: Status label values that count as failures / successes; any other value is left
    #: out of the error rate (and named in the warnings).
    failure_statuses: tuple[str, ...] = FAILURE_WORDS
    success_statuses: tuple[str, ...] = SUCCESS_WORDS
    status_label: str = "status"
    workflow_duration: str = "workflow_duration_seconds"
    step_duration: str = "step_duration_seconds"
    step_label: str = "step_name"
    active_workflows: str = "active_workflows"
    queue_depth: tuple[str, ...] = ("workflow_queue_depth", "queue_depth")
    #: Label names read by PromQL templates that ask for them (``${workflow_label}``,
    #: ``${step_type_label}``).
    workflow_label: str = "workflow_name"
    step_type_label: str = "step_type"

    @property
    def executions_base(self) -> str:
        """The counter's name without ``_total``."""
        name = self.executions
        return name[: -len("_total")] if name.endswith("_total") else name

    def family_names(self) -> frozenset[str]:
        """Names that may appear in ``# TYPE``/``# HELP`` lines of the needed families."""
        base = self.executions_base
        return frozenset(
            {base, base + "_total", self.workflow_duration, self.step_duration,
             self.active_workflows, *self.queue_depth}
        )

    def sample_names(self) -> frozenset[str]:
        """Names of the sample lines wftui reads."""
        base = self.executions_base
        names = {base, base + "_total", self.active_workflows, *self.queue_depth}
        for histogram in (self.workflow_duration, self.step_duration):
            names.update({histogram + "_bucket", histogram + "_count", histogram + "_sum"})
        return frozenset(names)


@dataclass
class ParsedScrape:
    """The samples kept from one scrape, plus the exposition's size."""

    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)
    #: Sample lines in the whole exposition (what Prometheus calls samples scraped).
    total_samples: int = 0
    openmetrics: bool = False
    #: Sample lines of the needed families left out past the series cap.
    series_dropped: int = 0
    #: The families the exposition has, when it has none of the needed ones (else None).
    exposed: list[str] | None = None


def parser_for(content_type: str | None) -> bool:
    """Return True for OpenMetrics, False for Prometheus text, by the Content-Type header.

    A missing Content-Type is read as Prometheus text (Prometheus 2.x does the same); any
    other explicit type (an HTML error page, JSON) is an error rather than a guess.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/openmetrics-text":
        return True
    if media in ("", "text/plain"):
        return False
    raise ExpositionError(
        f"unexpected Content-Type {media!r} (want text/plain or application/openmetrics-text)"
    )


def _sample_name(line: str) -> str:
    """The metric name at the start of a sample line (up to ``{``, space or tab)."""
    end = len(line)
    for stop in ("{", " ", "\t"):
        index = line.find(stop, 0, end)
        if index != -1:
            end = index
    return line[:end]


_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created", "_info", "_gcount",
             "_gsum")


def exposed_families(text: str) -> list[str]:
    """The metric family names an exposition has (TYPE lines, else sample names without
    their histogram/counter suffixes), in order of appearance."""
    found: dict[str, None] = {}
    for line in text.split("\n"):
        bare = line.strip()
        if not bare:
            continue
        if bare[0] == "#":
            parts = bare.split(None, 3)
            if len(parts) >= 3 and parts[1] == "TYPE":
                found.setdefault(parts[2])
            continue
        name = _sample_name(bare)
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        found.setdefault(name)
    return list(found)


def filter_lines(text: str, names: MetricNames) -> tuple[str, int]:
    """Keep only the lines of the needed families; also count all sample lines.

    Kept: sample lines whose name is needed, ``# TYPE``/``# HELP``/``# UNIT`` lines of the
    needed families, and ``# EOF``. Returns the filtered text and the number of sample
    lines in the original.
    """
    kept, total, _, _ = _filter(text, names)
    return kept, total


def _filter(text: str, names: MetricNames, max_series: int | None = None
            ) -> tuple[str, int, int, int]:
    """:func:`filter_lines`, plus the number of sample lines kept and the number left
    out past ``max_series`` (a cap on what the parser and the history hold)."""
    # One regex over the whole text finds the lines to keep, in C: a body of a million
    # lines is never split into a million strings (time and memory). Lines end at "\n"
    # only, as the parsers read them (not at U+2028 or U+0085 inside label values).
    cap = max_series if max_series is not None else -1
    kept: list[str] = []
    kept_samples = dropped = 0
    for match in _needed_lines(names).finditer(text):
        if match.lastgroup == "sample":
            if kept_samples == cap:
                dropped += 1
                continue
            kept_samples += 1
        kept.append(match.group())
    total = _count_samples(text)
    # OpenMetrics needs the final newline after "# EOF"; the text parser does not mind it.
    return "\n".join(kept) + "\n", total, kept_samples, dropped


def _count_samples(text: str) -> int:
    """Sample lines: lines but blank ones and comments, counted in C at line starts (a
    comment or blank line indented by spaces counts as a sample: it is only reported)."""
    if not text:
        return 0
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    comments = text.count("\n#") + (1 if text.startswith("#") else 0)
    blanks = text.count("\n\n") + text.count("\n\r\n") + (1 if text[0] in "\r\n" else 0)
    return max(lines - comments - blanks, 0)
_NEEDED: dict[MetricNames, re.Pattern[str]] = {}


def _needed_lines(names: MetricNames) -> re.Pattern[str]:
    """The lines of the needed families: samples named as needed (the name ends at "{",
    a blank or the line's end), their TYPE/HELP/UNIT lines, and "# EOF"."""
    pattern = _NEEDED.get(names)
    if pattern is None:
        def alternatives(words: frozenset[str]) -> str:
            return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

        blank = r"[^\S\n]"
        pattern = _NEEDED[names] = re.compile(
            rf"^{blank}*(?:"
            rf"(?P<sample>(?:{alternatives(names.sample_names())})(?:[{{ \t][^\n]*|{blank}*))"
            rf"|(?P<meta>#{blank}+(?:TYPE|HELP|UNIT){blank}+"
            rf"(?:{alternatives(names.family_names())})(?:{blank}[^\n]*)?)"
            rf"|(?P<eof># EOF{blank}*))$", re.MULTILINE)
    return pattern


# A plain Prometheus text sample line: name, optional labels whose values hold no quote,
# backslash or newline, a value without underscores, an optional integer timestamp.
# Label names starting with `__` are reserved: prometheus_client refuses them, so such
# a line is not plain (its parser then says so, as it would alone).
_LABEL_PAIR = r'(?!__)[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
_PLAIN_SAMPLE = re.compile(
    r"^[ \t]*([a-zA-Z_:][a-zA-Z0-9_:]*)"
    rf"(?:\{{(?:({_LABEL_PAIR}(?:,{_LABEL_PAIR})*),?)?\}})?"
    r"[ \t]+([^\s_]+)(?:[ \t]+-?\d+)?[ \t]*$",
    re.MULTILINE,
)
_PLAIN_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"\\\n]*)"')


def _count_sample_lines(text: str) -> int:
    return sum(1 for line in text.split("\n") if (bare := line.strip()) and bare[0] != "#")


def plain_text_samples(text: str, sample_lines: int | None = None
                       ) -> list[tuple[str, dict[str, str], float]] | None:
    """Read Prometheus text whose sample lines are all plain (see ``_PLAIN_SAMPLE``).

    Several times faster than prometheus_client's parser, and gives the same samples for
    such lines (a property test checks this). Returns None when any sample line is not
    plain (escapes, odd spacing, bad values...): the caller then uses prometheus_client's
    parser for the whole text, so its checks and messages still apply. ``sample_lines``
    is the number of sample lines in ``text`` when the caller already counted them.
    """
    rows = _PLAIN_SAMPLE.findall(text)
    expected = _count_sample_lines(text) if sample_lines is None else sample_lines
    if len(rows) != expected:
        return None
    find_labels = _PLAIN_LABEL.findall
    try:
        return [(name, dict(find_labels(labels)) if labels else {}, float(value))
                for name, labels, value in rows]
    except ValueError:
        return None


def decode_body(body: bytes) -> str:
    """Decode a body as strict UTF-8; invalid bytes fail the scrape with their position."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ExpositionError(
            f"invalid UTF-8 at byte {error.start}: {body[error.start:error.start + 4]!r}"
        ) from None


def parse_exposition(body: bytes, content_type: str | None, names: MetricNames,
                     max_series: int | None = None) -> ParsedScrape:
    """Decode, filter and parse one scrape body into the samples wftui needs.

    At most ``max_series`` sample lines of the needed families are read (the rest are
    counted in ``series_dropped``). Raises :class:`ExpositionError` with a one-line
    message on any problem (wrong Content-Type, an HTML page, invalid UTF-8, the
    parser's own complaint).
    """
    openmetrics = parser_for(content_type)
    if content_type is None and body.lstrip()[:1] == b"<":
        # An HTML page (a proxy's, a web app answering every path) without a
        # Content-Type would read as an exposition of nothing: not an answer.
        raise ExpositionError("an HTML page without Content-Type, not a metrics exposition")
    text = decode_body(body)
    filtered, total, kept_samples, dropped = _filter(text, names, max_series)
    if openmetrics and not text.rstrip("\n").endswith("# EOF"):
        raise ExpositionError("OpenMetrics body does not end with '# EOF' (truncated?)")
    parse = openmetrics_families if openmetrics else text_families
    wanted = names.sample_names()
    result = ParsedScrape(total_samples=total, openmetrics=openmetrics,
                          series_dropped=dropped)
    if kept_samples == 0 and "# TYPE" not in filtered and "# HELP" not in filtered:
        # Not even declared (a declared family with no samples yet is only no traffic).
        result.exposed = exposed_families(text)
    plain = None if openmetrics else plain_text_samples(filtered, kept_samples)
    if plain is not None:
        result.samples = [sample for sample in plain if sample[0] in wanted]
        return result
    try:
        for family in parse(filtered):
            for sample in family.samples:
                if sample.name in wanted:
                    result.samples.append((sample.name, sample.labels, float(sample.value)))
    except (ValueError, KeyError, IndexError, TypeError, OverflowError) as error:
        message = clean_line(str(error), 200) or type(error).__name__
        raise ExpositionError(f"malformed exposition: {message}") from None
    return result


def finite(value: float) -> bool:
    """True for a usable sample value (not NaN, not infinite)."""
    return not (math.isnan(value) or math.isinf(value))
