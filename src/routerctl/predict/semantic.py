"""The semantic predictor: sentence embeddings of the prompt, each task's text and the
router's own test prompts, combined with the lexical overlap.

The default embedder is WordLlama (`wordllama` on PyPI, MIT): static token embeddings with
their weights inside the wheel, loaded from site-packages with downloads disabled, so it
never reaches for a model hub. It is the `routerctl[semantic]` extra; without it,
`load_predictor` returns the lexical predictor and says so in every output.

Score of a route t for a query q (cosines of L2-normalised embeddings):

    desc_t = cos(q, name_t + description_t)
    ex_t   = max cos(q, e) over the router's test prompts labelled t (leave-one-out)
    s_t    = (1 - λ) · desc_t + λ · max(desc_t, ex_t) + μ · lexical_t

Test prompts labelled `fallback` are evidence for fallback; otherwise fallback wins when the
best s_t is below the calibrated threshold τ. The weights in `SemanticConfig` were chosen on
the tuning half of bench/routing/corpus.yaml only (bench/bench_routing.py prints both halves).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from routerctl.errors import ConfigError
from routerctl.predict.base import FALLBACK, Prediction, RoutingTable, as_table, decide
from routerctl.predict.lexical import LexicalPredictor, query_text

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from routerctl.models import RouterSpec

    Matrix = npt.NDArray[np.float32]

# Texts are short and repeat across a plan (the same test prompts against the live and the
# desired router), so embeddings are memoised; this caps the memo at a few MB.
_CACHE_LIMIT = 20_000


class SemanticUnavailable(ConfigError):
    """The embedding extra is not installed (or its model would not load offline): a one-line
    error naming the extra, exit 1, wherever the semantic predictor was asked for by name."""


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One L2-normalised row per text."""
        ...


class WordLlamaEmbedder:
    """WordLlama l2_supercat, 256 dimensions, from the files inside the installed wheel."""

    name = "wordllama-l2_supercat-256"

    def __init__(self) -> None:
        try:
            import wordllama  # type: ignore[import-untyped]
            from wordllama import WordLlama
        except ImportError as exc:
            raise SemanticUnavailable(
                "the semantic predictor needs the 'semantic' extra: "
                "pip install 'routerctl[semantic]'"
            ) from exc
        # wordllama 0.4 looks for its packaged tokenizer under "tokenizer/" but ships it under
        # "tokenizers/"; its cache layout is "<dir>/tokenizers" + "<dir>/weights", so pointing
        # the cache at the package itself finds both files and never downloads.
        logging.getLogger("wordllama").setLevel(logging.ERROR)
        package = Path(wordllama.__file__).parent
        try:
            self._model: Any = WordLlama.load(cache_dir=package, disable_download=True)
        except (OSError, ValueError) as exc:
            raise SemanticUnavailable(
                f"wordllama could not load its packaged model: {exc}"
            ) from exc

    def embed(self, texts: Sequence[str]) -> Matrix:
        import numpy as np

        vectors = np.asarray(self._model.embed(list(texts), norm=True), dtype=np.float32)
        return vectors.reshape(len(texts), -1)


@dataclass(frozen=True)
class SemanticConfig:
    use_names: bool = True  # embed "name: description", not the description alone
    router_context: bool = False  # prefix every task text with the router's description
    exemplar_weight: float = 0.25  # λ
    lexical_weight: float = 0.0  # μ: tuning chose 0 (no gain on the tuning half)
    threshold: float = 0.1  # τ


class SemanticPredictor:
    def __init__(self, embedder: Embedder | None = None, config: SemanticConfig | None = None):
        self._embedder = embedder if embedder is not None else WordLlamaEmbedder()
        self.config = config or SemanticConfig()
        self._lexical = LexicalPredictor(exemplar_weight=0.0)
        self._memo: dict[str, Matrix] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"semantic:{self._embedder.name}"

    def with_config(self, **changes: Any) -> SemanticPredictor:
        """The same loaded model with other weights (for the bench's ablations)."""
        twin = SemanticPredictor(self._embedder, replace(self.config, **changes))
        twin._memo = self._memo
        return twin

    def _vectors(self, texts: Sequence[str]) -> Matrix:
        import numpy as np

        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            fresh = self._embedder.embed(missing)
            with self._lock:
                if len(self._memo) + len(missing) > _CACHE_LIMIT:
                    self._memo.clear()
                self._memo.update(zip(missing, fresh, strict=True))
        with self._lock:
            rows = [self._memo.get(t) for t in texts]
        if any(r is None for r in rows):  # cleared by another thread meanwhile
            return self._embedder.embed(list(texts))
        return np.stack([r for r in rows if r is not None])

    def task_text(self, table: RoutingTable, index: int) -> str:
        route = table.routes[index]
        text = (
            f"{route.name_text}: {route.description}"
            if self.config.use_names
            else (route.description or route.name_text)
        )
        if self.config.router_context and table.description:
            text = f"{table.description} {text}"
        return text

    def scores(
        self, table: RoutingTable, prompt: str, system: str | None = None
    ) -> list[tuple[str, float]]:
        cfg = self.config
        table = table.without(prompt, system)
        keys = [r.key for r in table.routes]
        if not keys:
            return []
        examples = [e for e in table.exemplars if e.route in keys or e.route == FALLBACK]
        texts = [query_text(prompt, system)]
        texts += [self.task_text(table, i) for i in range(len(keys))]
        texts += [query_text(e.prompt, e.system) for e in examples]
        vectors = self._vectors(texts)
        cosines = vectors[1:] @ vectors[0]
        desc = {k: float(cosines[i]) for i, k in enumerate(keys)}
        best_example: dict[str, float] = {}
        for j, example in enumerate(examples):
            value = float(cosines[len(keys) + j])
            best_example[example.route] = max(best_example.get(example.route, -1.0), value)
        lexical = dict(self._lexical.scores(table, prompt, system)) if cfg.lexical_weight else {}
        out: list[tuple[str, float]] = []
        lam = cfg.exemplar_weight
        for key in keys:
            d = desc[key]
            s = (1 - lam) * d + lam * max(d, best_example.get(key, d))
            out.append((key, s + cfg.lexical_weight * lexical.get(key, 0.0)))
        if FALLBACK in best_example:
            # Fallback's "description" sits exactly at the threshold; its exemplars then
            # count as a task's do, so a prompt nearest a labelled off-topic prompt falls back.
            tau = cfg.threshold
            out.append((FALLBACK, (1 - lam) * tau + lam * max(tau, best_example[FALLBACK])))
        return out

    def predict(
        self, router: RoutingTable | RouterSpec, prompt: str, system: str | None = None
    ) -> Prediction:
        table = as_table(router)
        return decide(self.scores(table, prompt, system), self.config.threshold, self.name)
