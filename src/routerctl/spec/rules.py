"""Semantic rules the schema alone cannot express: names, pools, fallbacks, routing cases,
similar descriptions. Errors and warnings, each located in the file."""

from __future__ import annotations

import re
from collections.abc import Sequence

from routerctl.errors import Issue
from routerctl.models import FALLBACK_ROUTE, RouterSpec, RoutingCase
from routerctl.similarity import (
    SIMILAR_MAX_TASKS,
    SimilarityWork,
    similar_descriptions,
)
from routerctl.spec.document import Document
from routerctl.spec.messages import suggest

MAX_MODELS_PER_TASK = 3  # "Each task has up to 3 models" (DO blog); not enforced by the spec
NAME_RE = re.compile(r"^[a-z0-9-]+$")  # use fullmatch: with match, `$` accepts a trailing "\n"
MAX_NAME_LEN = 255


def _check_pool(
    doc: Document, loc: tuple[str | int, ...], models: list[str], prefer: str, label: str
) -> list[Issue]:
    issues = []
    if not models:
        issues.append(
            doc.issue((*loc, "models"), f"{label} has an empty model pool", code="empty-pool")
        )
    seen: dict[str, int] = {}
    for index, model in enumerate(models):
        if not model.strip():
            issues.append(doc.issue((*loc, "models", index), "blank model id", code="blank-model"))
        elif model in seen:
            issues.append(
                doc.issue(
                    (*loc, "models", index),
                    f"model {model!r} is listed twice in the pool (also at [{seen[model]}])",
                    code="duplicate-model",
                )
            )
        else:
            seen[model] = index
    if len(models) > MAX_MODELS_PER_TASK:
        issues.append(
            doc.issue(
                (*loc, "models"),
                f"{len(models)} models in the pool; DigitalOcean documents up to "
                f"{MAX_MODELS_PER_TASK} per task and may reject more",
                severity="warning",
                code="pool-size",
            )
        )
    if prefer in ("cheapest", "fastest") and len(models) == 1:
        issues.append(
            doc.issue(
                (*loc, "prefer"),
                f"prefer: {prefer} with a one-model pool has nothing to choose between",
                severity="warning",
                code="one-model-policy",
            )
        )
    return issues


def check_router(doc: Document, spec: RouterSpec, known_presets: set[str] | None) -> list[Issue]:
    """Semantic rules the schema alone cannot express."""
    issues: list[Issue] = []
    if not spec.name:
        issues.append(doc.issue(("name",), "name must not be empty", code="bad-name"))
    elif len(spec.name) > MAX_NAME_LEN:
        issues.append(
            doc.issue(
                ("name",),
                f"name is {len(spec.name)} characters; the API allows at most {MAX_NAME_LEN}",
                code="bad-name",
            )
        )
    elif not NAME_RE.fullmatch(spec.name):
        fixed = re.sub(r"[^a-z0-9-]+", "-", spec.name.lower()).strip("-")
        issues.append(
            doc.issue(
                ("name",),
                f"name {spec.name!r} may only contain lowercase a-z, 0-9 and '-'"
                + (f' (try "{fixed}")' if fixed else ""),
                code="bad-name",
            )
        )
    for index, old in enumerate(spec.renamed_from):
        if old in spec.renamed_from[:index]:
            issues.append(
                doc.issue(
                    ("renamed_from", index),
                    f"{old!r} is listed twice in renamed_from",
                    code="rename",
                )
            )
        elif old == spec.name:
            issues.append(
                doc.issue(
                    ("renamed_from", index),
                    "renamed_from lists the router's own name",
                    code="rename",
                )
            )
        elif not NAME_RE.fullmatch(old):
            issues.append(
                doc.issue(
                    ("renamed_from", index),
                    f"{old!r} is not a valid router name",
                    code="bad-name",
                )
            )
    if not spec.tasks and not spec.presets:
        issues.append(
            doc.issue(
                (),
                "router has no tasks and no presets: every request goes to the fallback models",
                severity="warning",
                code="no-tasks",
            )
        )
    descriptions: list[tuple[str, str]] = []  # (task key, lowercased description)
    for key, task in spec.tasks.items():
        loc: tuple[str | int, ...] = ("tasks", key)
        if not key.strip():
            issues.append(doc.issue(loc, "task name must not be blank", code="blank-task"))
        if not task.description.strip():
            issues.append(
                doc.issue(
                    (*loc, "description"),
                    "custom tasks need a description: it is what the router matches prompts "
                    "against",
                    code="no-description",
                )
            )
        else:
            descriptions.append((key, task.description.lower()))
        issues += _check_pool(doc, loc, task.models, task.prefer, f"task {key!r}")
    for slug, preset in spec.presets.items():
        loc = ("presets", slug)
        if known_presets is not None and slug not in known_presets:
            issues.append(
                doc.issue(
                    loc,
                    f"unknown preset task_slug {slug!r}{suggest(slug, known_presets)}",
                    severity="warning",
                    code="unknown-preset",
                )
            )
        issues += _check_pool(doc, loc, preset.models, preset.prefer, f"preset {slug!r}")
    if not spec.fallback_models:
        issues.append(
            doc.issue(
                ("fallback_models",),
                "fallback_models must list at least one model (the API requires it)",
                code="no-fallback",
            )
        )
    seen: set[str] = set()
    for index, model in enumerate(spec.fallback_models):
        if not model.strip():
            issues.append(
                doc.issue(("fallback_models", index), "blank model id", code="blank-model")
            )
        elif model in seen:
            issues.append(
                doc.issue(
                    ("fallback_models", index),
                    f"model {model!r} is listed twice in fallback_models",
                    code="duplicate-model",
                )
            )
        seen.add(model)
    pools = [("tasks", k, t.models) for k, t in spec.tasks.items()]
    pools += [("presets", k, p.models) for k, p in spec.presets.items()]
    fallback = set(spec.fallback_models)
    for section, key, models in pools:
        if models and set(models) == fallback:
            issues.append(
                doc.issue(
                    ("fallback_models",),
                    f"same models as the pool of {section[:-1]} {key!r}: when that pool is "
                    "unavailable the fallback is too; add a model it does not use",
                    severity="warning",
                    code="fallback-same-as-pool",
                )
            )
    issues += similar_description_issues(doc, descriptions)
    issues += _check_tests(doc, spec, spec.tests, ("tests",))
    return issues


def similar_description_issues(
    doc: Document, descriptions: list[tuple[str, str]], work: SimilarityWork | None = None
) -> list[Issue]:
    """The similar-descriptions warnings of one router (see routerctl.similarity)."""
    issues = [
        doc.issue(
            ("tasks", found.task, "description"),
            f"description is {found.ratio:.0%} similar to task {found.like!r}: the router "
            "cannot tell them apart reliably",
            severity="warning",
            code="similar-descriptions",
        )
        for found in similar_descriptions(descriptions, work)
    ]
    if len(descriptions) > SIMILAR_MAX_TASKS:
        issues.append(
            doc.issue(
                ("tasks",),
                f"{len(descriptions)} tasks with descriptions; similar descriptions were checked "
                f"among the first {SIMILAR_MAX_TASKS} only",
                severity="warning",
                code="similar-descriptions-bounded",
            )
        )
    return issues


def _check_tests(
    doc: Document, spec: RouterSpec, cases: Sequence[RoutingCase], loc: tuple[str | int, ...]
) -> list[Issue]:
    routes = set(spec.tasks) | set(spec.presets) | {FALLBACK_ROUTE}
    issues = []
    for index, case in enumerate(cases):
        if case.expect_task not in routes:
            issues.append(
                doc.issue(
                    (*loc, index, "expect_task"),
                    f"expect_task {case.expect_task!r} is not a task, preset or 'fallback' of "
                    f"this router{suggest(case.expect_task, routes)}",
                    code="bad-expect-task",
                )
            )
        if not case.prompt.strip():
            issues.append(doc.issue((*loc, index, "prompt"), "prompt is blank", code="blank"))
    return issues
