"""What an apply did, router by router: data only, so the renderer and the CLI can read it
without depending on the executor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from routerctl.errors import ExitCode
from routerctl.plan import Action

__all__ = ["ApplyResult", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    name: str
    action: Action
    status: str  # created | updated | deleted | failed | skipped
    uuid: str | None = None
    error: str | None = None
    seconds: float = 0.0
    renamed_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "action": self.action.value,
            "status": self.status,
            "uuid": self.uuid,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "renamed_from": self.renamed_from,
        }


@dataclass(frozen=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def done(self) -> int:
        return sum(1 for o in self.outcomes if o.status in ("created", "updated", "deleted"))

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def exit_code(self) -> ExitCode:
        if not self.failed and not self.count("skipped"):
            return ExitCode.OK
        return ExitCode.PARTIAL if self.done else ExitCode.ERROR

    def summary_line(self) -> str:
        parts = [
            f"{self.count('created')} created",
            f"{self.count('updated')} updated",
            f"{self.count('deleted')} deleted",
        ]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.count("skipped"):
            parts.append(f"{self.count('skipped')} skipped")
        head = "Apply complete" if self.exit_code is ExitCode.OK else "Apply stopped"
        return f"{head}: {', '.join(parts)}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": "1.0",
            "exit_code": int(self.exit_code),
            "summary": {
                status: self.count(status)
                for status in ("created", "updated", "deleted", "failed", "skipped")
            },
            "outcomes": [o.to_dict() for o in self.outcomes],
        }
