"""HTTP access to the DigitalOcean API: auth, pagination, retries, rate-limit pacing, typed errors.

This is the only package that imports httpx. It never prints (progress goes to `on_event`), never
puts the token in a message, and never sends a create twice without first checking that the
first one did not already happen.

The layers, each a module: credentials (token, model key, URLs) → connection (one HTTP
exchange: pacing, bounded body, waits) → session (retries, recovery, error mapping) → pages
(pagination) → routers (RouterClient) → inference (InferenceClient). Every name the single
module `routerctl.client` had, its own and the routerctl names it imported, is re-exported here.
"""

from __future__ import annotations

from routerctl import fsio, pacing, redact
from routerctl.bounds import BoundsError, bounded_int, bounded_prices, parse_json
from routerctl.client.connection import (
    MAX_RESPONSE_BYTES,
    PACING_MARGIN,
    USER_AGENT,
    RetryPolicy,
    _classify,
    _display,
    _Failure,
    _is_error_body,
    _keys,
    _one_line,
    _Raw,
    _Reply,
    _text,
    _TransportFailure,
    _user_agent,
)
from routerctl.client.credentials import (
    _AUTH_HINTS,
    _KEY_SOURCES,
    _SCOPES,
    _TOKEN_SOURCES,
    API_URL_ENV_VAR,
    DEFAULT_API_URL,
    DEFAULT_INFERENCE_URL,
    TOKEN_ENV_VARS,
    _check_secret,
    _check_token,
    _register_file_text,
    resolve_api_url,
    resolve_inference_url,
    resolve_model_key,
    resolve_token,
)
from routerctl.client.inference import MAX_USAGE_TOKENS, ROUTE_HEADER, InferenceClient, _usage
from routerctl.client.pages import MAX_PAGES, PAGE_SLACK, PER_PAGE, _Item, _page_of
from routerctl.client.routers import (
    _NAME_END,
    _SAFE_NAME,
    AGENTS_PATH,
    MAX_PRICE_PER_MILLION,
    MODELS_PATH,
    ROUTER_PRESETS_PATH,
    TASK_PRESETS_PATH,
    RouterClient,
)
from routerctl.client.session import RETRYABLE_STATUSES
from routerctl.client_stats import ClientStats
from routerctl.errors import (
    ApiAuthError,
    ApiConnectionError,
    ApiError,
    ApiNotSentError,
    ApiResponseError,
    ApiStatusError,
    ConfigError,
)
from routerctl.models import ROUTERS_PATH, LiveRouter, RouteReply, RoutingCase
from routerctl.pacing import (
    ANNOUNCE_WAITS_OVER,
    DEADLINE,
    MAX_SINGLE_WAIT,
    RESET_SLACK,
    RateLimiter,
    TimeoutErrors,
    Turn,
    WaitNotice,
    as_int,
    clock_time,
    duration,
    install_deadline,
    parse_reset,
    parse_retry_after,
)
from routerctl.settle import find_settled

__all__ = [
    "AGENTS_PATH",
    "ANNOUNCE_WAITS_OVER",
    "API_URL_ENV_VAR",
    "DEADLINE",
    "DEFAULT_API_URL",
    "DEFAULT_INFERENCE_URL",
    "MAX_PAGES",
    "MAX_PRICE_PER_MILLION",
    "MAX_RESPONSE_BYTES",
    "MAX_SINGLE_WAIT",
    "MAX_USAGE_TOKENS",
    "MODELS_PATH",
    "PACING_MARGIN",
    "PAGE_SLACK",
    "PER_PAGE",
    "RESET_SLACK",
    "RETRYABLE_STATUSES",
    "ROUTERS_PATH",
    "ROUTER_PRESETS_PATH",
    "ROUTE_HEADER",
    "TASK_PRESETS_PATH",
    "TOKEN_ENV_VARS",
    "USER_AGENT",
    "_AUTH_HINTS",
    "_KEY_SOURCES",
    "_NAME_END",
    "_SAFE_NAME",
    "_SCOPES",
    "_TOKEN_SOURCES",
    "ApiAuthError",
    "ApiConnectionError",
    "ApiError",
    "ApiNotSentError",
    "ApiResponseError",
    "ApiStatusError",
    "BoundsError",
    "ClientStats",
    "ConfigError",
    "InferenceClient",
    "LiveRouter",
    "RateLimiter",
    "RetryPolicy",
    "RouteReply",
    "RouterClient",
    "RoutingCase",
    "TimeoutErrors",
    "Turn",
    "WaitNotice",
    "_Failure",
    "_Item",
    "_Raw",
    "_Reply",
    "_TransportFailure",
    "_check_secret",
    "_check_token",
    "_classify",
    "_display",
    "_is_error_body",
    "_keys",
    "_one_line",
    "_page_of",
    "_register_file_text",
    "_text",
    "_usage",
    "_user_agent",
    "as_int",
    "bounded_int",
    "bounded_prices",
    "clock_time",
    "duration",
    "find_settled",
    "fsio",
    "install_deadline",
    "pacing",
    "parse_json",
    "parse_reset",
    "parse_retry_after",
    "redact",
    "resolve_api_url",
    "resolve_inference_url",
    "resolve_model_key",
    "resolve_token",
]
