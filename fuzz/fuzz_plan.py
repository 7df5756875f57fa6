"""Coverage-guided fuzz target (atheris): the saved-plan loader.

Feeds text to plan.plan_from_text (what `routerctl apply PLANFILE` runs after reading the
file). Expected outcome for bad input: PlanError with a one-line message. Anything else (an
exception, a message spanning lines) is a finding.

    make fuzz
    .venv/bin/python fuzz/fuzz_plan.py -max_total_time=60 fuzz/corpus/plan
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["routerctl"]):
    from routerctl.errors import PlanError
    from routerctl.plan import plan_from_text
    from routerctl.render import render_plan


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        plan = plan_from_text(text, "fuzz.json")
    except PlanError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"message spans lines: {exc!s:.300}") from None
        return
    render_plan(plan)  # a plan that loads must also render


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
