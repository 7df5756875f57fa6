"""One API call: send, retry what is safe to retry, recover an ambiguous create, map errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from routerctl import redact
from routerctl.bounds import BoundsError, parse_json
from routerctl.client.connection import (
    Connection,
    _display,
    _Failure,
    _one_line,
    _Raw,
    _Reply,
    _text,
    _TransportFailure,
)
from routerctl.client.credentials import _AUTH_HINTS
from routerctl.errors import (
    ApiAuthError,
    ApiConnectionError,
    ApiError,
    ApiNotSentError,
    ApiResponseError,
    ApiStatusError,
)
from routerctl.models import LiveRouter
from routerctl.pacing import RESET_SLACK, as_int, parse_reset, parse_retry_after

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class Session(Connection):
    """Calls on top of a Connection: retries, recovery and errors (see RouterClient)."""

    #: What a 401/403 means for this endpoint and credential.
    _auth_hints: Mapping[int, str] = _AUTH_HINTS

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        idempotent: bool = True,
        recover: Callable[[], LiveRouter | None] | None = None,
        gone_after_ambiguous: bool = False,
    ) -> _Reply:
        """Send one API call, retrying what is safe to retry; return the parsed 2xx body."""
        display = _display(path, params)
        policy = self._retry
        started = self._clock()
        ambiguous_before = False
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = self._send_once(method, path, params, body, display)
            except _TransportFailure as exc:
                failure = exc.failure
                if not failure.retryable:
                    raise ApiConnectionError(method, display, failure.reason) from exc.__cause__
            else:
                if raw.status < 300:
                    data = self._parse_json(method, display, raw)
                    return _Reply(raw.status, data, None, raw.headers)
                if raw.status < 400:
                    raise ApiResponseError(
                        method, display, raw.status, "unexpected redirect; check the API URL"
                    )
                if raw.status == 404 and gone_after_ambiguous and ambiguous_before:
                    self._emit(f"{method} {display}: 404 on retry; the earlier attempt took effect")
                    return _Reply(raw.status, None)
                failure = self._status_failure(raw)
                if raw.status not in RETRYABLE_STATUSES:
                    # A 4xx (e.g. "name already exists") after an ambiguous create may mean
                    # the first POST worked; look once more before reporting it.
                    if recover is not None and ambiguous_before and raw.status not in (401, 403):
                        found = self._recover(method, display, failure, recover)
                        if found is not None:
                            return _Reply(raw.status, None, found)
                    raise self._error(method, display, failure)
            ambiguous_before = ambiguous_before or failure.ambiguous
            if failure.ambiguous and not idempotent:
                if recover is None:
                    raise self._error(
                        method,
                        display,
                        failure,
                        "not retried: the request may have been carried out",
                    )
                found = self._recover(method, display, failure, recover)
                if found is not None:
                    return _Reply(0, None, found)
            server_delay = failure.server_delay
            delay = server_delay if server_delay is not None else policy.backoff(attempt, self._rng)
            elapsed = self._clock() - started
            attempts = f"{attempt} attempt{'s' if attempt > 1 else ''}"
            if attempt >= policy.max_attempts:
                raise self._error(
                    method, display, failure, f"gave up after {attempts} in {elapsed:.1f} s"
                )
            too_long = self._check_wait(delay)
            if too_long:
                raise self._error(method, display, failure, f"not retried: {too_long}")
            if elapsed + delay > policy.max_total_seconds:
                budget = f"the {policy.max_total_seconds:g} s retry budget"
                if server_delay is not None:
                    note = f"the API asks to wait {delay:.0f} s more, beyond {budget}"
                    self._given_up_because = f"{method} {display}: {note}"
                    self._given_up.set()
                else:
                    note = f"waiting {delay:.1f} s more after {elapsed:.1f} s would exceed {budget}"
                raise self._error(method, display, failure, f"gave up after {attempts}: {note}")
            self.stats.record_retry()
            self._emit(
                f"{method} {display}: {failure.reason}; retrying in {delay:.1f} s "
                f"(attempt {attempt + 1} of {policy.max_attempts})"
            )
            status = f"{failure.status}" if failure.status is not None else "no response"
            why = f"{method} {display} got {status}, retry {attempt + 1} of {policy.max_attempts}"
            try:
                self._wait(delay, f"{why} at {self._until(delay)}", method, display)
            except ApiNotSentError as exc:  # sent before, so report how that attempt failed
                note = f"gave up after {attempts}: the run stopped ({self._given_up_because})"
                raise self._error(method, display, failure, note) from exc

    def _recover(
        self,
        method: str,
        display: str,
        failure: _Failure,
        recover: Callable[[], LiveRouter | None],
    ) -> LiveRouter | None:
        self._emit(
            f"{method} {display}: {failure.reason}; checking whether the router was created "
            "before sending it again"
        )
        try:
            found = recover()
        except ApiError as exc:
            raise ApiConnectionError(
                method,
                display,
                f"{failure.reason}; whether the router was created is unknown, because "
                f"looking it up failed: {exc}",
            ) from exc
        if found is not None:
            self._emit(f"{method} {display}: router {found.name!r} exists; not creating it again")
        return found

    def _parse_json(self, method: str, display: str, raw: _Raw) -> Any:
        if not raw.body.strip():
            return None
        try:
            data = parse_json(raw.body)
        except BoundsError as exc:
            problem = f"response is not valid JSON: {exc}"
        except json.JSONDecodeError as exc:
            content_type = raw.headers.get("content-type", "")
            if "json" in content_type or raw.body.lstrip()[:1] in (b"{", b"["):
                problem = (
                    f"response is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
                )
            else:
                # Decode well past what is shown, so a secret straddling the cut is scrubbed.
                start = _one_line(raw.body[:4096].decode("utf-8", "replace"), 40)
                problem = f"expected JSON, got {content_type or 'no content type'}: {start!r}"
        except (ValueError, RecursionError) as exc:  # bad UTF-8, absurd nesting
            problem = f"response is not valid JSON: {type(exc).__name__}"
        else:
            # A server echoing a secret into data (a router description, a model name) must
            # not put it into the files other modules write from that data.
            if redact.holds_secret(raw.body.decode("utf-8", "replace")):
                data = redact.scrub_tree(data)
            return data
        raise ApiResponseError(method, display, raw.status, self._redact(problem))

    def _status_failure(self, raw: _Raw) -> _Failure:
        error_id = message = request_id = ""
        try:
            data = parse_json(raw.body) if raw.body.strip() else None
        except (ValueError, RecursionError):
            data = None  # e.g. a proxy's HTML error page: the status says enough
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            # The inference endpoint answers OpenAI-style: {"error": {"message", "code"}}.
            inner = data["error"]
            data = {"id": inner.get("code") or inner.get("type"), "message": inner.get("message")}
        if isinstance(data, dict):
            # Scrubbed before _one_line cuts them: a cut can leave half a secret unmatched.
            error_id = _one_line(self._redact(_text(data.get("id"))), 80)
            message = _one_line(self._redact(_text(data.get("message"))))
            request_id = _one_line(self._redact(_text(data.get("request_id"))), 80)
        message = message or httpx.codes.get_reason_phrase(raw.status)
        header_id = raw.headers.get("x-request-id")
        request_id = request_id or _one_line(self._redact(_text(header_id)), 80)
        server_delay = None
        if raw.status in RETRYABLE_STATUSES:
            server_delay = self._server_delay(raw)
        reason = f"{raw.status}{' ' + error_id if error_id else ''}: {message}"
        return _Failure(
            reason=reason,
            ambiguous=raw.status >= 500,
            status=raw.status,
            error_id=error_id,
            message=message,
            request_id=request_id,
            server_delay=server_delay,
        )

    def _server_delay(self, raw: _Raw) -> float | None:
        """How long the server asked us to wait: Retry-After, or for a 429 with no budget
        left, until ratelimit-reset. None means "use backoff"."""
        now_epoch = self._wall_clock()
        retry_after = parse_retry_after(raw.headers.get("retry-after"), now_epoch)
        if retry_after is not None:
            return retry_after
        if raw.status == 429:
            remaining = as_int(raw.headers.get("ratelimit-remaining"))
            reset_in = parse_reset(raw.headers.get("ratelimit-reset"), now_epoch)
            if reset_in is not None and (remaining is None or remaining <= 0):
                return reset_in + RESET_SLACK
        return None

    def _error(self, method: str, display: str, failure: _Failure, note: str = "") -> ApiError:
        if failure.status is None:
            reason = f"{failure.reason}; {note}" if note else failure.reason
            return ApiConnectionError(method, display, reason)
        hints = [self._auth_hints.get(failure.status, "")]
        if note:
            hints.append(note[0].upper() + note[1:])
        error_class = ApiAuthError if failure.status in self._auth_hints else ApiStatusError
        return error_class(
            method,
            display,
            failure.status,
            error_id=failure.error_id,
            message=failure.message,
            request_id=failure.request_id,
            hint=". ".join(h for h in hints if h),
        )
