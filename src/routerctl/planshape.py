"""The saved-plan format as types (for bounds.shape_problem): what every reader of a plan
relies on, checked by plan.load_plan after its own checks, so a hand-edited `"prune": "yes"`
is an error instead of a `True` that from_dict's coercion would make of it.
"""

from __future__ import annotations

from routerctl.models import STATE_FIELDS

STATE_KEYS = STATE_FIELDS
_TASK_KEYS = ("description", "models", "prefer")
_STATE_SHAPE = {
    "name": str,
    "description": str,
    "tasks": {"*": {"description": str, "models": [str], "prefer": str, "!": _TASK_KEYS}},
    "presets": {"*": {"models": [str], "prefer": str, "!": _TASK_KEYS[1:]}},
    "fallback_models": [str],
    "!": STATE_KEYS,
}
_COST_ROW_SHAPE = {
    "name": str,
    "before_monthly": (float, None),
    "after_monthly": (float, None),
    "delta_monthly": (float, None),
    "before_unpriced_rows": (int, None),
    "after_unpriced_rows": (int, None),
    "unpriced_models": ([str], None),
    "!": ("name",),
}
PLAN_SHAPE = {
    "format_version": (str, float),
    "environment": (str, None),
    "api_url": (str, None),
    "targets": [str],
    "prune": bool,
    "unchanged": [str],
    "unmanaged": [str],
    "prunable": [str],
    "protected": [str],
    "warnings": [str],
    "costs": ({"routers": [_COST_ROW_SHAPE]}, None),
    "changes": [
        {
            "name": str,
            "action": str,
            "uuid": (str, None),
            "renamed_from": (str, None),
            "fingerprint": (str, None),
            "before": (_STATE_SHAPE, None),
            "after": (_STATE_SHAPE, None),
            "field_changes": [{"path": str, "kind": str, "notes": [str], "!": ("path", "kind")}],
            "warnings": [str],
        }
    ],
}
