"""How an environment changes the shared router files: an overlay directory of
`<router-name>.yaml` files deep-merged over the router of that name, and a name prefix/suffix.

Plain data and pure functions; spec reads the overlay files and applies these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routerctl.models import ROUTER_FIELDS


@dataclass(frozen=True)
class Overlay:
    """How one environment changes the shared router files."""

    directory: Path | None = None  # <name>.yaml files deep-merged over the router of that name
    name_prefix: str = ""
    name_suffix: str = ""

    def rename(self, name: str) -> str:
        return f"{self.name_prefix}{name}{self.name_suffix}"

    def base_name(self, live_name: str) -> str | None:
        """The inverse of rename: the file's name for a live name, or None if the live name
        does not carry this environment's prefix and suffix."""
        prefix, suffix = self.name_prefix, self.name_suffix
        if len(live_name) < len(prefix) + len(suffix):
            return None
        if not (live_name.startswith(prefix) and live_name.endswith(suffix)):
            return None
        return live_name[len(prefix) : len(live_name) - len(suffix)]


# Everything but the router's identity (its name and old names) can differ per environment.
OVERLAY_KEYS = tuple(f for f in ROUTER_FIELDS if f not in ("name", "renamed_from"))


def deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key, `null` removes a key, anything else replaces (lists too:
    a pool is an ordered ranking, so appending to it would be a surprise)."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = deep_merge(base.get(key), value)
        return merged
    return over


def rename_for_environment(data: dict[str, Any], overlay: Overlay) -> dict[str, Any]:
    data = dict(data)
    if isinstance(data.get("name"), str):
        data["name"] = overlay.rename(data["name"])
    old = data.get("renamed_from")
    if isinstance(old, str):
        data["renamed_from"] = overlay.rename(old)
    elif isinstance(old, list):
        data["renamed_from"] = [overlay.rename(o) if isinstance(o, str) else o for o in old]
    return data
