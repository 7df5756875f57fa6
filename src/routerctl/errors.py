"""The error hierarchy and exit codes. Every error a user can cause is a RouterctlError.

RouterctlError
├── SpecError            router files are invalid (carries every Issue found)
├── ConfigError          routerctl.yaml / flags / environment are wrong
│   └── UsageError           the command line itself is wrong (exit 64)
├── ApiError             anything the DigitalOcean API (or the path to it) did wrong
│   ├── ApiConnectionError   no usable response: refused, reset, timed out, retries exhausted
│   ├── ApiStatusError       a 4xx/5xx answer (method, path, status, id, message, request id)
│   │   └── ApiAuthError         401/403, with a hint about token scopes
│   └── ApiResponseError     a 2xx answer we cannot read (HTML, truncated JSON, wrong shape)
├── PlanError            a saved plan is unreadable, stale, or for another target
├── ApplyError           apply stopped part-way (carries the partial result)
└── RoutingTestError     routing tests could not run

This module must not import click: the library raises these, and only the CLI
(routerctl.cli.group) turns them into exit codes and one-line messages. Every message is
scrubbed of known secrets when the error is made (redact.scrub), so neither str() nor repr()
nor a traceback can carry one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Literal

from routerctl.redact import scrub


class ExitCode(enum.IntEnum):
    """The exit-code contract (see README): scripts depend on these numbers."""

    OK = 0
    ERROR = 1
    CHANGES = 2  # only with --detailed-exitcode
    PARTIAL = 3  # apply partly done
    USAGE = 64  # never 2, so a typo is never mistaken for "changes present"
    INTERRUPTED = 130  # Ctrl-C (apply still reports what it did)
    TERMINATED = 143  # SIGTERM, e.g. a cancelled CI job (apply still reports what it did)


class RouterctlError(Exception):
    """Base of every error routerctl reports to a user as one line (no traceback)."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in one file, located as precisely as the parser allows."""

    path: str
    line: int
    col: int
    location: str  # dotted path inside the document, e.g. "tasks.classify.prefer" ("" = file)
    message: str
    severity: Severity = "error"
    code: str = ""  # stable rule id, e.g. "unknown-key", "one-model-policy"

    def format(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        loc = f" {self.location}:" if self.location else ""
        tag = "" if self.severity == "error" else " warning:"
        return f"{where}:{tag}{loc} {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "location": self.location,
            "message": self.message,
            "severity": self.severity,
            "code": self.code,
        }


class SpecError(RouterctlError):
    """Router files failed validation; `issues` holds every problem (errors and warnings)."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues)
        errors = [i for i in self.issues if i.severity == "error"]
        first = errors[0].format() if errors else "invalid router files"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)


class ConfigError(RouterctlError):
    """Project configuration, flags or environment are wrong."""


class UsageError(ConfigError):
    """The command line itself is wrong (missing argument, conflicting flags): exit 64, like
    click's own usage errors, so a CI script never mistakes a typo for a failed plan."""

    exit_code = ExitCode.USAGE


class ApiError(RouterctlError):
    """The API could not be used as expected."""


class ApiConnectionError(ApiError):
    """No usable HTTP response was received (after any retries)."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = scrub(reason)
        super().__init__(f"{method} {path}: {reason}")


class ApiNotSentError(ApiConnectionError):
    """A request given up before it was sent: another one learnt the API's wait is beyond the
    retry budget, so the run ends now instead of waiting it out."""


class ApiStatusError(ApiError):
    """The API answered with an error status."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        *,
        error_id: str = "",
        message: str = "",
        request_id: str = "",
        hint: str = "",
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.error_id = scrub(error_id)
        self.api_message = scrub(message)
        self.request_id = scrub(request_id)
        text = f"{method} {path} → {status}"
        if error_id:
            text += f" {error_id}"
        if message:
            text += f": {message}"
        if request_id:
            text += f" (request id {request_id})"
        if hint:
            text += f" {hint}" if text.endswith((".", "!", "?")) else f". {hint}"
        super().__init__(text)


class ApiAuthError(ApiStatusError):
    """401/403: the token is missing, wrong, or lacks a scope."""


class ApiResponseError(ApiError):
    """A response arrived but is not what the API documents."""

    def __init__(self, method: str, path: str, status: int, problem: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        super().__init__(f"{method} {path} → {status}: {problem}")


class ApplyError(RouterctlError):
    """Apply did not finish; `result` (an outcome.ApplyResult) says what was done."""

    def __init__(self, message: str, result: Any, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.result = result
        self.exit_code = exit_code


class PlanError(RouterctlError):
    """A saved plan cannot be applied as it is."""


class RoutingTestError(RouterctlError):
    """Routing tests could not be run."""


def report_lines(exc: BaseException) -> list[str]:
    """What the CLI prints on stderr for an error, without a traceback: every issue and a
    count for invalid files, one line otherwise (an unexpected exception included: a bug
    still gets one scrubbed line, and --debug shows its traceback)."""
    if isinstance(exc, SpecError):
        errors = sum(1 for i in exc.issues if i.severity == "error")
        warnings = len(exc.issues) - errors
        counts = f"{errors} error{'' if errors == 1 else 's'}, "
        counts += f"{warnings} warning{'' if warnings == 1 else 's'}"
        return [*(issue.format() for issue in exc.issues), f"routerctl: {counts}"]
    if isinstance(exc, ApplyError):  # the per-router report was printed: the closing line
        return [f"routerctl: {exc}"]
    if isinstance(exc, RouterctlError):
        return [f"routerctl: error: {exc}"]
    from routerctl.redact import one_line

    return [
        f"routerctl: internal error: {type(exc).__name__}: {one_line(str(exc))} "
        "(a bug: run with --debug for the traceback and report it)"
    ]
