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
    """WordLlama l2_supercat, 256 dimensions, from the files inside the installed wheel.

    The wheel's files are read directly (`safetensors` + `tokenizers`, both wordllama
    dependencies) and pooled exactly as `WordLlamaInference.embed(norm=True)` does (mean of
    the token vectors, then L2); tests/test_predict.py checks the two agree. Importing the
    `wordllama` package itself would cost ~0.4 s of start-up (it imports requests and
    configures the root logger at INFO, which would make httpx log every request), and its
    0.4 loader looks for the packaged tokenizer in the wrong folder and downloads it.
    """

    name = "wordllama-l2_supercat-256"

    def __init__(self) -> None:
        from importlib.util import find_spec

        found = find_spec("wordllama")  # locates the package without running its __init__
        if found is None or not found.submodule_search_locations:
            raise SemanticUnavailable(
                "the semantic predictor needs the 'semantic' extra: "
                "pip install 'routerctl[semantic]'"
            )
        package = Path(next(iter(found.submodule_search_locations)))
        try:
            import numpy as np
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer

            weights = load_file(str(package / "weights" / "l2_supercat_256.safetensors"))
            tokenizer = Tokenizer.from_file(
                str(package / "tokenizers" / "l2_supercat_tokenizer_config.json")
            )
        except (ImportError, OSError, ValueError, RuntimeError) as exc:
            raise SemanticUnavailable(
                f"wordllama's packaged model could not be loaded from {package}: {exc}"
            ) from exc
        tokenizer.enable_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        self._table = np.ascontiguousarray(weights["embedding.weight"], dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> Matrix:
        import numpy as np

        rows = [self._pool(list(texts[i : i + 64])) for i in range(0, len(texts), 64)]
        if not rows:
            return np.zeros((0, self._table.shape[1]), dtype=np.float32)
        out: Matrix = np.concatenate(rows).astype(np.float32)
        return out

    def _pool(self, chunk: list[str]) -> Matrix:
        """Mean of the token vectors (padding masked out), L2-normalised; in chunks of 64 as
        wordllama does, so a batch of long texts never needs a huge (n, tokens, 256) array."""
        import numpy as np

        encoded = self._tokenizer.encode_batch(chunk, add_special_tokens=False)
        ids = np.array([e.ids for e in encoded], dtype=np.int32)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
        np.clip(ids, 0, self._table.shape[0] - 1, out=ids)
        count = np.maximum(mask.sum(axis=1, keepdims=True), 1.0).astype(np.float32)
        pooled = np.sum(self._table[ids] * mask[..., np.newaxis], axis=1, dtype=np.float32)
        pooled /= count
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out: Matrix = pooled / np.where(norms == 0, 1.0, norms)
        return out


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
