"""Coverage-guided fuzz target (atheris): the router-file reader and checks.

Feeds bytes to spec.parse_document, then, for mappings, the schema and semantic checks the
loader runs. Expected outcome for bad input: SpecError or pydantic's ValidationError turned into
issues. Anything else (an exception, an issue spanning lines) is a finding.

    make fuzz                      # both targets, 60 s each
    .venv/bin/python fuzz/fuzz_yaml.py -max_total_time=60 fuzz/corpus/yaml
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["routerctl"]):
    from pydantic import ValidationError

    from routerctl.errors import SpecError
    from routerctl.models import RouterSpec
    from routerctl.spec import _pydantic_issues, _salvage, check_router, parse_document


def one_input(data: bytes) -> None:
    try:
        doc = parse_document(data, "fuzz.yaml")
    except SpecError as exc:
        issues = exc.issues
    else:
        try:
            spec = RouterSpec.model_validate(doc.data)
        except ValidationError as exc:
            issues = _pydantic_issues(doc, exc)
            salvaged, _ = _salvage(doc.data, exc)
            if salvaged is not None:
                issues += check_router(doc, salvaged, None)
        else:
            issues = check_router(doc, spec, None)
    for issue in issues:
        line = issue.format()
        if "\n" in line or "\r" in line:
            raise AssertionError(f"issue spans lines: {line!r}")


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
