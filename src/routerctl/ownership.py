"""Which live routers an environment owns, so a prune in one environment never deletes a
router that belongs to another (README "Deletes and protection", DESIGN "Lifecycle rules").

The rule. An environment owns

- the live names its mapping (`name_prefix` / `name_suffix`) produces from the router files
  (every file's `name` and `renamed_from`), and
- the in-scope live names that no *other* environment's mapping produces or matches.

A mapping *produces* `rename(base)` for every base name the files declare. It *matches* a
live name that carries its prefix and suffix. A mapping with neither (the default
environment, or `prod: {}`) matches nothing: it would match every name, and the names it
produces are covered by "produces". The default environment (no `--env`) is one of the
environments, with the top-level `prune:` settings.

`prune.protect` globs name base routers. They are applied through every environment's
mapping (and each environment's own `prune.protect`, which already names live routers, is
added as it is), so a protected router is protected under every name it has, whichever
environment plans the prune.

Pure: settings and names in, names out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from routerctl.models import ProjectSettings, matches_any

DEFAULT = "default"  # how the environment selected by no --env is named in messages


@dataclass(frozen=True)
class NameMapping:
    """One environment's live names: `prefix + base + suffix`."""

    environment: str | None  # None: the default environment
    prefix: str = ""
    suffix: str = ""

    @property
    def label(self) -> str:
        return self.environment or DEFAULT

    def rename(self, base: str) -> str:
        return f"{self.prefix}{base}{self.suffix}"

    def matches(self, name: str) -> bool:
        """The name carries this mapping's prefix and suffix (never for the identity)."""
        if not (self.prefix or self.suffix):
            return False
        if len(name) < len(self.prefix) + len(self.suffix):
            return False
        return name.startswith(self.prefix) and name.endswith(self.suffix)


def mappings(settings: ProjectSettings) -> list[NameMapping]:
    """The default environment's mapping first, then every environment's, by name."""
    out = [NameMapping(None)]
    for name, env in sorted(settings.environments.items()):
        out.append(NameMapping(name, env.name_prefix, env.name_suffix))
    return out


@dataclass(frozen=True)
class Ownership:
    """What one environment may delete: names other environments claim, and every
    protected name of every environment."""

    environment: str | None
    produced: frozenset[str]  # live names this environment's mapping produces
    claims: tuple[tuple[NameMapping, frozenset[str]], ...]  # other environments' produced names
    protect: tuple[str, ...]  # globs over live names, across every environment

    def other_owner(self, name: str) -> str | None:
        """The other environment that produces or matches `name`, or None if this
        environment owns it (or nobody else claims it)."""
        if name in self.produced:
            return None
        for mapping, produced in self.claims:
            if name in produced:
                return mapping.label
        for mapping, _ in self.claims:
            if mapping.matches(name):
                return mapping.label
        return None

    def foreign(self, live_names: Iterable[str]) -> dict[str, str]:
        """{live name: owning environment} for the names another environment claims."""
        out: dict[str, str] = {}
        for name in live_names:
            owner = self.other_owner(name)
            if owner is not None:
                out[name] = owner
        return out

    def is_protected(self, name: str) -> bool:
        return matches_any(name, self.protect)


def resolve_ownership(
    settings: ProjectSettings, environment: str | None, base_names: Iterable[str]
) -> Ownership:
    """Ownership for `environment` given the base names the router files declare."""
    bases = sorted(set(base_names))
    all_mappings = mappings(settings)
    own = next(m for m in all_mappings if m.environment == environment)
    produced = frozenset(own.rename(b) for b in bases)
    claims = []
    for mapping in all_mappings:
        if mapping.environment == environment:
            continue
        names = frozenset(mapping.rename(b) for b in bases)
        if (mapping.prefix, mapping.suffix) == (own.prefix, own.suffix):
            # Same names as ours (e.g. the default environment and `prod: {}`): the same
            # live routers, so claiming them would forbid every prune in both.
            continue
        claims.append((mapping, names))
    return Ownership(environment, produced, tuple(claims), tuple(protect_globs(settings)))


def protect_globs(settings: ProjectSettings) -> list[str]:
    """Every environment's live names of every protected router (deduplicated, in order)."""
    globs: list[str] = []
    for mapping in mappings(settings):
        globs += [mapping.rename(g) for g in settings.prune.protect]
        env = settings.environments.get(mapping.environment or "")
        if env is not None and env.prune is not None:
            globs += env.prune.protect
    return list(dict.fromkeys(globs))
