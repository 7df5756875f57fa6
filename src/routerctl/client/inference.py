"""InferenceClient: chat completions against a router, for `routerctl test`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routerctl.bounds import bounded_int
from routerctl.client.connection import _one_line
from routerctl.client.credentials import _KEY_SOURCES, DEFAULT_INFERENCE_URL
from routerctl.client.routers import RouterClient
from routerctl.errors import ApiResponseError
from routerctl.models import RouteReply, RoutingCase

ROUTE_HEADER = "x-model-router-selected-route"


class InferenceClient(RouterClient):
    """Chat completions against `router:<name>`, with the management client's retries,
    backoff and pacing. Reads the matched task from the `x-model-router-selected-route`
    header and the serving model from the body's `model`."""

    _auth_hints: Mapping[int, str] = {
        401: f"The inference endpoint rejected the model access key (from {_KEY_SOURCES})",
        403: (
            "The model access key may not call this router: the key and the router must "
            f"belong to the same team (key from {_KEY_SOURCES})"
        ),
    }

    def __init__(
        self,
        *,
        key: str,
        base_url: str = DEFAULT_INFERENCE_URL,
        max_tokens: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(token=key, base_url=base_url, **kwargs)
        self.max_tokens = max_tokens  # overrides each case's max_completion_tokens

    def __repr__(self) -> str:
        return f"InferenceClient(base_url={self.base_url!r})"

    def __enter__(self) -> InferenceClient:
        return self

    def route(self, router_name: str, case: RoutingCase) -> RouteReply:
        """Send one labelled prompt. A token cap goes out as `max_completion_tokens`
        (DigitalOcean documents `max_tokens` as deprecated); without one, none is sent."""
        messages: list[dict[str, str]] = []
        if case.system:
            messages.append({"role": "system", "content": case.system})
        messages.append({"role": "user", "content": case.prompt})
        body: dict[str, Any] = {"model": f"router:{router_name}", "messages": messages}
        cap = self.max_tokens if self.max_tokens is not None else case.max_completion_tokens
        if cap is not None:
            body["max_completion_tokens"] = cap
        started = self._clock()
        # Retrying a completion costs a few tokens but changes nothing: safe to retry.
        reply = self._call("POST", "/chat/completions", body=body, idempotent=True)
        elapsed_ms = (self._clock() - started) * 1000
        data = reply.data if isinstance(reply.data, dict) else {}
        if not isinstance(reply.data, dict) or "choices" not in data:
            raise ApiResponseError(
                "POST", "/chat/completions", reply.status, "not a chat completion response"
            )
        raw_usage = data.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        headers = reply.headers
        raw_route = headers.get(ROUTE_HEADER) if headers is not None else None
        # Server text, scrubbed and made one inert line; "" = fallback, None = no header.
        route = _one_line(raw_route, 255) if raw_route is not None else None
        model = _one_line(data.get("model"), 255)
        return RouteReply(
            route=route,
            model=model or None,
            prompt_tokens=_usage(usage.get("prompt_tokens")),
            completion_tokens=_usage(usage.get("completion_tokens")),
            latency_ms=elapsed_ms,
        )


# A completion with max_tokens 16 uses a few thousand tokens at most; a count past this is a
# server error, and summing such counts must not produce absurd costs.
MAX_USAGE_TOKENS = 10_000_000


def _usage(value: object) -> int:
    return bounded_int(value, low=0, high=MAX_USAGE_TOKENS) or 0
