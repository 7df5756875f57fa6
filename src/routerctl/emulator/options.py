"""The emulator's settings: `Behaviour` (what it does where the API reference is silent; the
table of options and defaults is in the package docstring) and the checks for the server
settings `configure()` takes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

PREFER_VALUES = ("none", "cheapest", "fastest")
PUT_SEMANTICS = ("full", "merge", "replace")


@dataclass
class Behaviour:
    """What the emulator does where the API reference is silent. Defaults are the reading that
    is hardest on a client under test: assume no server guarantee the reference does not
    document, and hold the client's input to the strictest documented rule."""

    unique_names: bool = False  # True: 409 conflict on a duplicate name (create or rename)
    regions_check: bool = True  # True: 400 unless `regions` is omitted or ["all"]
    put_semantics: str = "full"  # full: PUT must carry every field; merge; replace
    default_prefer: str | None = None  # None: echo policies as sent; "none": fill it in
    list_lag_seconds: float = 0.0  # list omits routers created less than this long ago

    def check(self) -> None:
        """Raise ValueError naming the first bad setting."""
        for name in ("unique_names", "regions_check"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false")
        if self.put_semantics not in PUT_SEMANTICS:
            raise ValueError(f"put_semantics must be one of {', '.join(PUT_SEMANTICS)}")
        if self.default_prefer is not None and self.default_prefer not in PREFER_VALUES:
            raise ValueError(f"default_prefer must be null or one of {', '.join(PREFER_VALUES)}")
        lag = self.list_lag_seconds
        if isinstance(lag, bool) or not isinstance(lag, int | float) or not 0 <= lag <= 86_400:
            raise ValueError("list_lag_seconds must be a number from 0 to 86400")

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def check_server_settings(values: dict[str, Any]) -> None:
    """Raise ValueError naming the first bad server setting (latency, limits, list modes)."""

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    for key, value in values.items():
        if key in ("rate_limit_per_minute", "rate_limit_per_hour"):
            ok, need = value is None or (whole(value) and value >= 1), "a positive integer or null"
        elif key == "page_size_cap":
            ok, need = whole(value) and value >= 1, "a positive integer"
        elif key == "latency_ms":
            ok = (whole(value) or isinstance(value, float)) and 0 <= value < float("inf")
            need = "a number, not negative"
        elif key == "summary_list":
            ok, need = isinstance(value, bool), "true or false"
        else:
            continue
        if not ok:
            raise ValueError(f"{key} must be {need}")
