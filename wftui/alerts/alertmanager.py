"""Alertmanager, the real one: push alerts to its v2 API and read its silences.

Alerts are pushed as Prometheus does: `POST /api/v2/alerts` with labels (`alertname`
wftui_<figure>, `figure`, `severity`, `workflow_name` where known), annotations (value,
threshold, action), `startsAt`, and while firing an `endsAt` a few resend intervals
ahead, so an alert that wftui stops sending resolves by itself; a cleared alert is sent
once more with `endsAt` = when it cleared. Firing alerts are resent every `resend`
seconds; an alert that could not be delivered (Alertmanager down) is kept and sent when
it answers again, resolutions included: nothing is lost.

Silences made in Alertmanager (`GET /api/v2/silences`) count here too: a silence whose
matchers match an alert's labels silences it in the TUI, `watch` and `check`.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wftui.alerts.silences import ALERTMANAGER, Silence, silences_by_alert
from wftui.config import ConfigError, check_keys, parse_duration
from wftui.core import format as fmt
from wftui.core.thresholds import FIRING, ThresholdState

ALERTMANAGER_KEYS = frozenset({"url", "severity", "resend", "timeout", "labels"})
RESEND_VALID_TIMES = 4  # a firing alert's endsAt: this many resend intervals ahead
#: Silences are read at least this often, whatever `resend`: one made or ended in
#: Alertmanager counts here (and stops or resumes the hooks) within seconds, not a minute.
SILENCE_POLL_S = 10.0
#: While Alertmanager is down, the push is tried again this often (or `resend`, if less).
RETRY_S = 5.0


def delivery_warning(status: Mapping[str, Any]) -> str | None:
    """Alertmanager's entry among the sources, said where alerts are shown when pushes
    fail (None while they do not): what is failing, and how many alerts wait."""
    if status.get("status") != "down":
        return None
    if "waiting" not in status:
        # `check` only looks at Alertmanager's silences and pushes nothing: no alert
        # waits, and nothing is retried after it exits.
        return (f"alertmanager {fmt.visible(str(status.get('name')))}: its silences could "
                f"not be read ({fmt.visible(str(status.get('error')))}); alerts silenced "
                "there are judged here as not silenced")
    count = int(status.get("waiting") or 0)
    waiting = f"{count} alert{'' if count == 1 else 's'} waiting, kept and retried"
    return (f"alertmanager {fmt.visible(str(status.get('name')))}: pushes failing "
            f"({fmt.visible(str(status.get('error')))}); {waiting}")


class AlertmanagerError(Exception):
    """Alertmanager could not be reached or refused a request (one line)."""


@dataclass(frozen=True)
class AlertmanagerSettings:
    """Where Alertmanager is and what our alerts carry."""

    url: str
    severity: str = "warning"
    resend_s: float = 60.0
    timeout_s: float = 10.0
    labels: Mapping[str, str] = field(default_factory=dict)  # added to every alert


def alertmanager_settings(table: Any, url: str | None = None) -> AlertmanagerSettings | None:
    """From the config's [alertmanager] table and --alertmanager (which wins); None when
    neither names a URL. ConfigError (one line) on a bad value."""
    table = check_keys(table or {}, ALERTMANAGER_KEYS, "alertmanager")
    url = url if url is not None else table.get("url")
    if url is None:
        return None
    where = "--alertmanager" if url is not table.get("url") else "alertmanager.url"
    from wftui.sources.http import check_url  # httpx: only with an Alertmanager

    check_url(url, where)
    severity = table.get("severity", "warning")
    if not isinstance(severity, str) or not severity:
        raise ConfigError("alertmanager.severity: expected text, e.g. \"page\"")
    labels = table.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ConfigError("alertmanager.labels: expected a table of text values")
    resend = parse_duration(table.get("resend", "60s"), "alertmanager.resend")
    timeout = parse_duration(table.get("timeout", "10s"), "alertmanager.timeout")
    return AlertmanagerSettings(url=url.rstrip("/"), severity=severity,
                                resend_s=resend or 60.0, timeout_s=timeout or 10.0,
                                labels=dict(labels))


def iso(epoch: float) -> str:
    """RFC 3339 with milliseconds, UTC: what Alertmanager reads and writes."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _epoch(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def alert_labels(name: str, settings: AlertmanagerSettings,
                 workflow_name: str | None = None) -> dict[str, str]:
    """The labels an alert of threshold `name` carries (and silences match on)."""
    labels = {**settings.labels, "alertname": f"wftui_{name}", "figure": name,
              "severity": settings.severity}
    if workflow_name:
        labels["workflow_name"] = workflow_name
    return labels


def firing_annotations(state: ThresholdState, last: str | None) -> dict[str, str]:
    """What a firing alert tells whoever is paged, true at each push: an alert still
    firing under `clear` (hysteresis) is not above its threshold, one firing through a
    spell of no data (a target down) has no value now but had `last`, and a p95 in the
    histogram's +Inf bucket is more than the bound it reads as."""
    name = state.name

    def figure(value: float | None) -> str:
        return fmt.threshold_figure(name, value)

    above = figure(state.threshold)
    clear = figure(state.threshold if state.clear is None else state.clear)
    if state.value is None:
        seen = f"last {last}, " if last else ""
        summary = (f"{name} no data now ({seen}fired above {above}); firing until a value "
                   f"at or below {clear}")
    else:
        shown = ("≥ " if state.at_least else "") + figure(state.value)
        if state.value > state.threshold or (state.at_least
                                             and state.value >= state.threshold):
            summary = f"{name} {shown} above {above}"
        else:
            summary = f"{name} {shown}, fired above {above}; firing until at or below {clear}"
    annotations = {"value": "" if state.value is None else f"{state.value:g}",
                   "threshold": f"{state.threshold:g}", "action": state.action,
                   # for people reading the page: each figure in its own unit
                   "summary": summary}
    if state.at_least:
        annotations["at_least"] = "true"
    return annotations


# -- silences ----------------------------------------------------------------------------

def _matches(matcher: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """One Alertmanager matcher against labels (a missing label reads as "")."""
    value = labels.get(str(matcher.get("name")), "")
    wanted = str(matcher.get("value", ""))
    if matcher.get("isRegex"):
        try:
            hit = re.fullmatch(wanted, value) is not None
        except re.error:
            return False
    else:
        hit = value == wanted
    return hit if matcher.get("isEqual", True) else not hit


def silences_for(raw: Iterable[Any], alerts: Mapping[str, Mapping[str, str]]) -> list[Silence]:
    """Alertmanager's active silences, one Silence per alert of ours each matches."""
    out: list[Silence] = []
    for item in raw:
        if not isinstance(item, dict) or (item.get("status") or {}).get("state") != "active":
            continue
        matchers = item.get("matchers")
        ends, starts = _epoch(item.get("endsAt")), _epoch(item.get("startsAt"))
        if not isinstance(matchers, list) or not matchers or ends is None:
            continue
        for name, labels in alerts.items():
            if all(isinstance(m, dict) and _matches(m, labels) for m in matchers):
                out.append(Silence(id=str(item.get("id")), alert=name, ends_at=ends,
                                   created_by=str(item.get("createdBy", "")),
                                   comment=str(item.get("comment", "")),
                                   starts_at=starts or 0.0, origin=ALERTMANAGER))
    return out


class AlertmanagerClient:
    """The few v2 API calls wftui makes (blocking; one line per failure)."""

    def __init__(self, settings: AlertmanagerSettings) -> None:
        # Imported here: httpx (with its command line's click and rich) is a third of
        # a log-only `wftui check`'s start, which needs no Alertmanager.
        import httpx

        self.settings = settings
        # trust_env=False, as every other client of wftui: the operator named this
        # Alertmanager; a proxy from the environment would stand between (and its
        # refusal would read as Alertmanager's). No redirects: alerts go where named.
        self.http = httpx.Client(base_url=settings.url + "/api/v2",
                                 timeout=settings.timeout_s, trust_env=False,
                                 follow_redirects=False)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        from wftui.sources.failures import innermost
        from wftui.sources.http import REQUEST_ERRORS

        try:
            response = self.http.request(method, path, **kwargs)
        except REQUEST_ERRORS as error:
            reason = innermost(error)
            raise AlertmanagerError(f"Alertmanager at {self.settings.url}: "
                                    f"{type(reason).__name__}: {reason}") from None
        if response.status_code >= 300:
            raise AlertmanagerError(f"Alertmanager at {self.settings.url} answered "
                                    f"{response.status_code}: {response.text[:200].strip()}")
        try:
            return response.json() if response.content else None
        except ValueError:
            raise AlertmanagerError(f"Alertmanager at {self.settings.url}: "
                                    "the answer is not JSON") from None

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        self._call("POST", "/alerts", json=alerts)

    def silences(self) -> list[Any]:
        answer = self._call("GET", "/silences")
        return answer if isinstance(answer, list) else []

    def create_silence(self, labels: Mapping[str, str], duration_s: float, comment: str,
                       by: str) -> str:
        """Silence alerts with these alertname and figure labels; returns its id."""
        now = time.time()
        body = {"matchers": [{"name": key, "value": labels[key], "isRegex": False,
                              "isEqual": True} for key in ("alertname", "figure")],
                "startsAt": iso(now), "endsAt": iso(now + duration_s),
                "createdBy": by, "comment": comment or "silenced from wftui"}
        answer = self._call("POST", "/silences", json=body)
        return str((answer or {}).get("silenceID", ""))

    def expire_silence(self, silence_id: str) -> bool:
        """End a silence now; False when Alertmanager has no such silence (its ids are
        UUIDs; for an unknown one it answers 500 "silence not found")."""
        try:
            uuid.UUID(silence_id)
        except ValueError:
            return False
        try:
            self._call("DELETE", f"/silence/{silence_id}")
        except AlertmanagerError as error:
            if "silence not found" in str(error):
                return False
            raise
        return True

    def close(self) -> None:
        self.http.close()


# -- the pusher --------------------------------------------------------------------------

@dataclass
class _Sent:
    """One alert as Alertmanager should know it."""

    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: float
    ends_at: float | None = None  # set when it cleared
    sent_at: float | None = None  # last delivery; None: not delivered yet
    last_shown: str | None = None  # its latest value, said while no data follows


class AlertPusher:
    """Keeps Alertmanager told about our alerts, from its own thread.

    `update` (from the loop that judges thresholds) records what is firing and what
    cleared; the thread sends changes at once and firing alerts again every resend
    interval, and reads Alertmanager's silences every SILENCE_POLL_S (or resend, if less).
    """

    def __init__(self, settings: AlertmanagerSettings,
                 client: AlertmanagerClient | None = None) -> None:
        self.settings = settings
        self.client = client or AlertmanagerClient(settings)
        self._alerts: dict[str, _Sent] = {}
        # Ends not delivered yet of alerts that fired again since, oldest first: sent
        # before the new firing, or Alertmanager (which merges an alert starting before
        # the one it holds ends) would make the two incidents one, never cleared.
        self._ending: list[tuple[str, _Sent]] = []
        self._labels: dict[str, dict[str, str]] = {}  # every alert's labels, for silences
        self._raw_silences: list[Any] = []
        self.error: str | None = None
        self.last_ok: float | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Called (from the pusher's thread) when Alertmanager goes down or comes back,
        # so a monitor shows it at once, not at its next idle refresh.
        self.on_change: Callable[[], None] | None = None

    def know(self, states: Iterable[ThresholdState],
             workflow_names: Mapping[str, str] | None = None) -> None:
        """Each judged alert's labels (what Alertmanager's silences match), before it
        is pushed: an alert firing at the first judgement (wftui restarted during an
        incident silenced in Alertmanager) is matched like any other, not taken for
        unsilenced and paged."""
        with self._lock:
            for state in states:
                self._labels[state.name] = alert_labels(
                    state.name, self.settings, (workflow_names or {}).get(state.name))

    def update(self, states: Iterable[ThresholdState], now: float,
               workflow_names: Mapping[str, str] | None = None) -> None:
        """What the thresholds say now: firing ones are (re)sent, cleared ones resolved."""
        changed = False
        with self._lock:
            for state in states:
                labels = alert_labels(state.name, self.settings,
                                      (workflow_names or {}).get(state.name))
                self._labels[state.name] = labels
                sent = self._alerts.get(state.name)
                if state.state == FIRING:
                    annotations = firing_annotations(
                        state, sent.last_shown if sent is not None else None)
                    if sent is None or sent.ends_at is not None:
                        if sent is not None and sent.sent_at is None:
                            self._ending.append((state.name, sent))
                            # Two ends per alert at most (an alert flapping while
                            # Alertmanager is down kept one per flap, without bound): the
                            # first, of what it held before, and the latest, whose
                            # firing may be on the wire now; those between never
                            # reached it (a push that did would have taken the first).
                            mine = [i for i, (n, _) in enumerate(self._ending)
                                    if n == state.name]
                            if len(mine) > 2:
                                del self._ending[mine[-2]]
                        sent = self._alerts[state.name] = _Sent(
                            labels, annotations, state.since or now)
                        changed = True
                    else:
                        sent.annotations, sent.labels = annotations, labels
                    if state.value is not None:
                        sent.last_shown = (("≥ " if state.at_least else "")
                                           + fmt.threshold_figure(state.name, state.value))
                elif sent is not None and sent.ends_at is None:
                    sent.ends_at = now  # resolved: sent once more, then forgotten
                    sent.sent_at = None
                    changed = True
            # A threshold no longer judged (disabled by a reloaded config) gets no state:
            # its alert is resolved, not resent as firing for as long as wftui runs.
            judged = {state.name for state in states}
            for name, sent in self._alerts.items():
                if name not in judged and sent.ends_at is None:
                    sent.ends_at, sent.sent_at, changed = now, None, True
        if changed:
            self._wake.set()

    def payload(self, now: float) -> list[dict[str, Any]]:
        """The alerts to send now (firing ones, and resolutions not yet delivered)."""
        return [alert for _, _, alert in self._due(now)]

    def _due(self, now: float) -> list[tuple[str, _Sent | None, dict[str, Any]]]:
        """`payload`, each with its name and, for a resolution, the alert it ends."""
        valid = RESEND_VALID_TIMES * self.settings.resend_s
        with self._lock:
            return [(name, s if s.ends_at is not None else None,
                     {"labels": dict(s.labels), "annotations": dict(s.annotations),
                      "startsAt": iso(s.starts_at),
                      "endsAt": iso(s.ends_at if s.ends_at is not None else now + valid)})
                    for name, s in [*self._ending, *self._alerts.items()]
                    if s.ends_at is None or s.sent_at is None]

    def push(self, now: float | None = None) -> None:
        """Send the payload; on success resolved alerts are forgotten (raises
        AlertmanagerError: they are kept for the next try)."""
        moment = time.time() if now is None else now
        due = self._due(moment)
        if due:
            self.client.post_alerts([alert for _, _, alert in due])
        with self._lock:
            # Only what this POST carried: an alert that cleared or fired while it was
            # on the wire is not in it, and is sent next time instead of being dropped.
            for name, resolution, _ in due:
                sent = self._alerts.get(name)
                if resolution is not None:
                    if sent is resolution:
                        del self._alerts[name]
                    self._ending = [(n, s) for n, s in self._ending if s is not resolution]
                elif sent is not None and sent.ends_at is None:
                    sent.sent_at = moment

    def poll_silences(self) -> None:
        raw = self.client.silences()
        with self._lock:
            self._raw_silences = raw

    def silences(self, now: float | None = None) -> list[Silence]:
        """Alertmanager's silences that match our alerts (as of the last poll)."""
        with self._lock:
            raw, labels = list(self._raw_silences), dict(self._labels)
        moment = time.time() if now is None else now
        return list(silences_by_alert(silences_for(raw, labels), moment).values())

    def waiting(self) -> int:
        """Alerts whose latest state Alertmanager has not had yet (a firing not
        delivered, a resolution not delivered): what a failing push keeps to send."""
        with self._lock:
            return len(self._ending) + sum(1 for sent in self._alerts.values()
                                           if sent.sent_at is None)

    def status(self) -> dict[str, Any]:
        """Its entry among the sources: up or down, with the error, and how many
        alerts wait to be delivered."""
        return {"kind": "alertmanager", "name": self.settings.url,
                "status": "down" if self.error else ("ok" if self.last_ok else "waiting"),
                "error": self.error, "waiting": self.waiting()}

    # -- the thread ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="wftui-alertmanager",
                                        daemon=True)
        self._thread.start()

    def _round(self, push: bool = True) -> None:
        was_down = self.error is not None
        try:
            if push:
                self.push()
            self.poll_silences()
        except AlertmanagerError as error:
            self.error = str(error)
        except Exception as error:  # noqa: BLE001 - a bug must not end the pager quietly
            self.error = f"cannot talk to Alertmanager: {type(error).__name__}: {error}"
        else:
            self.error, self.last_ok = None, time.time()
        on_change = self.on_change
        if on_change is not None and (self.error is not None) != was_down:
            on_change()

    def _run(self) -> None:
        woken, next_push = True, 0.0
        while True:
            # Alerts go out on a change (woken), every resend interval, and while down;
            # the rounds between only read the silences.
            push = woken or self.error is not None or time.monotonic() >= next_push
            if push:
                next_push = time.monotonic() + self.settings.resend_s
            self._round(push)
            if self._stop.is_set():
                return
            # Down: try again soon (capped), so nothing waits a whole resend interval.
            pause = min(self.settings.resend_s, RETRY_S if self.error else SILENCE_POLL_S)
            woken = self._wake.wait(min(pause, max(0.0, next_push - time.monotonic()))
                                    if not self.error else pause)
            self._wake.clear()

    def stop_soon(self) -> None:
        """Make the last delivery attempt now and end the thread (without waiting for
        it: `close` does), so it runs beside whatever else is being flushed."""
        self._stop.set()
        self._wake.set()

    def close(self, grace: float = 5.0) -> None:
        """Stop the thread after one last delivery attempt (a resolution just seen)."""
        self.stop_soon()
        if self._thread is not None:
            self._thread.join(grace)
        self.client.close()


def read_silences(settings: AlertmanagerSettings, names: Iterable[str]
                  ) -> tuple[list[Silence], dict[str, Any]]:
    """One look at Alertmanager's silences for these alerts (`check`), and its entry
    among the sources (down, with the error, when it cannot be asked)."""
    client = AlertmanagerClient(settings)
    status: dict[str, Any] = {"kind": "alertmanager", "name": settings.url, "status": "ok",
                              "error": None}
    try:
        raw = client.silences()
    except AlertmanagerError as error:
        status.update(status="down", error=str(error))
        return [], status
    finally:
        client.close()
    return silences_for(raw, {name: alert_labels(name, settings) for name in names}), status


def silence_command(settings: AlertmanagerSettings, options: Any, out: Any) -> int:
    """`wftui silence --alertmanager URL ...`: the same actions, kept in Alertmanager."""
    from wftui.alerts.silences import user_name
    from wftui.core.thresholds import DEFAULT_THRESHOLDS

    client = AlertmanagerClient(settings)
    try:
        if options.action == "add":
            duration = parse_duration(options.duration, "duration")
            assert duration is not None
            labels = alert_labels(options.alert, settings)
            silence_id = client.create_silence(labels, duration, options.comment,
                                               options.by or user_name())
            print(f"{silence_id}  {options.alert}  silenced in Alertmanager for "
                  f"{options.duration}", file=out)
        elif options.action == "list":
            names = [t.name for t in DEFAULT_THRESHOLDS]
            found = sorted(silences_for(client.silences(),
                                        {name: alert_labels(name, settings) for name in names}),
                           key=lambda s: (s.ends_at, s.alert))
            if getattr(options, "format", "text") == "json":
                print(json.dumps([{"alert": s.alert, **s.as_dict()} for s in found], indent=2),
                      file=out)
                return 0
            for silence in found:
                print(f"{silence.id}  {silence.alert}  {silence.describe()}", file=out)
            if not found:
                print("no silences in force for wftui's alerts", file=out)
        elif options.action == "remove":
            if not client.expire_silence(options.id):
                print(f"wftui: no silence {options.id!r} in Alertmanager (see wftui silence "
                      "--alertmanager URL list)", file=sys.stderr)
                return 1
            print(f"removed {options.id}", file=out)
        else:
            raise AlertmanagerError("acknowledging is local to wftui: drop --alertmanager")
    finally:
        client.close()
    return 0
