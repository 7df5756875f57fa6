"""The traffic profile (`traffic:` in routerctl.yaml, or `--profile FILE`), validated."""

from __future__ import annotations

from typing import Any

from routerctl.errors import ConfigError
from routerctl.models import TrafficProfile

__all__ = ["parse_traffic_profile"]


# --- Traffic profile -----------------------------------------------------------------------


def parse_traffic_profile(data: Any, path: str) -> TrafficProfile:
    """The `traffic:` block (or a --profile file), validated; errors name the file and key."""
    if isinstance(data, TrafficProfile):
        return data
    try:
        return TrafficProfile.model_validate(data)
    except (
        ValueError
    ) as exc:  # pydantic's ValidationError is a ValueError; pydantic lives in models
        errors = getattr(exc, "errors", None)
        if not callable(errors):
            raise ConfigError(f"{path}: traffic profile: {exc}") from exc
        lines = []
        for error in errors():
            loc = ".".join(str(part) for part in error.get("loc", ()))
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            lines.append(f"{loc}: {message}" if loc else message)
        first, more = lines[0], len(lines) - 1
        tail = f" (and {more} more: {'; '.join(lines[1:])})" if more else ""
        raise ConfigError(f"{path}: traffic profile: {first}{tail}") from exc
