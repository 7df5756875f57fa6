"""The project: routerctl.yaml settings, the selected environment, and what follows from them
(router directory, overlays, name prefix/suffix, prune scope, protection, API URL).

Everything here is resolution of configuration; no network, no rendering.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from routerctl.errors import ConfigError
from routerctl.models import EnvironmentSettings, ProjectSettings, PruneSettings
from routerctl.spec import LoadResult, Overlay, collect_routers, load_settings, suggest

ENV_VAR = "ROUTERCTL_ENV"


@dataclass(frozen=True)
class Project:
    settings: ProjectSettings
    settings_path: Path | None
    environment: str | None
    router_dir: Path

    @property
    def env(self) -> EnvironmentSettings | None:
        return self.settings.environments.get(self.environment) if self.environment else None

    @property
    def base(self) -> Path:
        return self.settings_path.parent if self.settings_path else Path(".")

    @property
    def root(self) -> Path:
        """The project directory: symlinks that lead out of it are refused. The router
        directory's parent when --dir points outside the directory of routerctl.yaml."""
        base = self.base.absolute()
        router_dir = self.router_dir.absolute()
        if router_dir == base or base in router_dir.parents:
            return base
        return router_dir.parent

    @property
    def overlay(self) -> Overlay | None:
        env = self.env
        if env is None:
            return None
        directory = self.base / env.overlays if env.overlays else None
        return Overlay(directory, env.name_prefix, env.name_suffix)

    @property
    def prune_settings(self) -> PruneSettings:
        env = self.env
        if env is not None and env.prune is not None:
            return env.prune
        overlay = self.overlay
        if overlay is None:
            return self.settings.prune
        # The shared scope names base routers; in an environment the live names carry the
        # environment's prefix/suffix, so the globs must too.
        return PruneSettings(
            scope=[overlay.rename(g) for g in self.settings.prune.scope],
            protect=[overlay.rename(g) for g in self.settings.prune.protect],
        )

    def api_url(self, flag: str | None) -> str | None:
        """--api-url wins, then the environment's api_url; None = client default / env var."""
        if flag:
            return flag
        env = self.env
        return env.api_url if env is not None else None

    def token_env(self) -> str | None:
        env = self.env
        return env.token_env if env is not None else None

    def load(
        self, paths: Sequence[str | Path] = (), *, known_presets: Iterable[str] | None = None
    ) -> LoadResult:
        """Read the router files (or `paths`) with this environment's overlay applied."""
        from routerctl import gc_pause

        targets: Sequence[str | Path] = paths or [self.router_dir]
        with gc_pause.paused():
            return collect_routers(
                targets, known_presets=known_presets, overlay=self.overlay, root=self.root
            )


def load_project(
    *,
    config: str | None = None,
    environment: str | None = None,
    directory: str | None = None,
) -> Project:
    settings, path = load_settings(config)
    env_name = environment or os.environ.get(ENV_VAR) or None
    if env_name and env_name not in settings.environments:
        known = sorted(settings.environments)
        where = f" in {path}" if path else " (no routerctl.yaml found)"
        listing = f"; defined: {', '.join(known)}" if known else ""
        raise ConfigError(
            f"environment {env_name!r} is not defined{where}{suggest(env_name, known)}{listing}"
        )
    base = path.parent if path else Path(".")
    router_dir = Path(directory) if directory else base / settings.dir
    return Project(settings, path, env_name, router_dir)
