"""Where the secrets and URLs come from: API token, model access key, API and inference URLs.

A secret read here is registered for scrubbing (redact) before anything else sees it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from routerctl import fsio, redact
from routerctl.errors import ConfigError

DEFAULT_API_URL = "https://api.digitalocean.com"
API_URL_ENV_VAR = "DIGITALOCEAN_API_URL"
TOKEN_ENV_VARS = ("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN")

_SCOPES = "genai:read, genai:create, genai:update, genai:delete"
_TOKEN_SOURCES = "--token-file, DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN"
_AUTH_HINTS = {
    401: (
        f"The API rejected the token: check the one routerctl read from {_TOKEN_SOURCES} "
        f"(in that order); it needs the scopes {_SCOPES}"
    ),
    403: (
        f"The token lacks a permission: routerctl needs the scopes {_SCOPES} (read for plan, "
        f"the others for apply); the token comes from {_TOKEN_SOURCES}"
    ),
}


# --- configuration ------------------------------------------------------------------------


def _check_token(token: str, source: str) -> str:
    # A space or line break would make httpx reject the header with a message quoting the value,
    # i.e. the token; refuse it here with a message that does not.
    if not all("!" <= ch <= "~" for ch in token):
        raise ConfigError(
            f"{source} contains spaces, line breaks or non-ASCII characters; "
            "a DigitalOcean API token is a single word"
        )
    return token


def _check_secret(secret: str, source: str) -> str:
    """A secret read for the CLI: registered for scrubbing, and refused when too short to
    scrub without mangling messages (see README, "Secrets")."""
    _check_token(secret, source)
    if len(secret) < redact.MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{source} is {len(secret)} characters long; routerctl refuses secrets shorter than "
            f"{redact.MIN_SECRET_LENGTH} (real tokens and keys are far longer)"
        )
    redact.register(secret)
    return secret


def _register_file_text(text: str) -> None:
    # Whatever a token file holds is secret, even when it is not a usable token (a line of
    # shell, two tokens): every word long enough to scrub is scrubbed.
    redact.register(text.strip())
    for word in re.split(r"[\s=:'\"]+", text):  # also `export TOKEN="..."`
        redact.register(word)


def resolve_token(
    *, token_file: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The API token: `--token-file` (stripped), then DIGITALOCEAN_TOKEN, then
    DIGITALOCEAN_ACCESS_TOKEN. Empty variables count as unset (Terraform's rule)."""
    env = os.environ if environ is None else environ
    if token_file is not None:
        try:  # fsio: regular file, bounded, a FIFO never blocks (issue 14)
            text = fsio.read_text(token_file, limit=fsio.SECRET_LIMIT, what="token file")
        except fsio.FileProblem as exc:
            raise ConfigError(f"cannot read token file {token_file}: {exc.detail}") from None
        _register_file_text(text)
        token = text.strip()
        if not token:
            raise ConfigError(f"token file {token_file} is empty")
        return _check_secret(token, f"the token in {token_file}")
    for name in TOKEN_ENV_VARS:
        value = env.get(name, "").strip()
        if value:
            return _check_secret(value, name)
    raise ConfigError(
        "no DigitalOcean API token: pass --token-file FILE, or set DIGITALOCEAN_TOKEN or "
        "DIGITALOCEAN_ACCESS_TOKEN"
    )


def resolve_api_url(flag: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The API base URL: the flag, then DIGITALOCEAN_API_URL, then the public API; no trailing /."""
    env = os.environ if environ is None else environ
    raw = (flag or "").strip() or env.get(API_URL_ENV_VAR, "").strip() or DEFAULT_API_URL
    url = raw.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"API URL {url!r} must look like https://host[:port][/prefix]")
    if parts.username is not None or parts.password is not None:
        # It would be shown in repr() and debug output; the token is the only credential.
        raise ConfigError("the API URL must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ConfigError(f"API URL {url!r} must not have a query string or fragment")
    return url


# --- inference (routerctl test) --------------------------------------------------------------

DEFAULT_INFERENCE_URL = "https://inference.do-ai.run/v1"
_KEY_SOURCES = "--key-file, MODEL_ACCESS_KEY or GRADIENT_MODEL_ACCESS_KEY"


def resolve_model_key(
    *, key_file: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The model access key for inference: --key-file, then MODEL_ACCESS_KEY, then
    GRADIENT_MODEL_ACCESS_KEY. It is a secret exactly like the API token."""
    env = os.environ if environ is None else environ
    if key_file:
        try:  # fsio: regular file, bounded, a FIFO never blocks (issue 14)
            text = fsio.read_text(key_file, limit=fsio.SECRET_LIMIT, what="key file")
        except fsio.FileProblem as exc:
            where = f"the model access key file {key_file}"
            raise ConfigError(f"cannot read {where}: {exc.detail}") from None
        _register_file_text(text)
        key = text.strip()
        if not key:
            raise ConfigError(f"the model access key file {key_file} is empty")
        return _check_secret(key, f"the model access key in {key_file}")
    for name in ("MODEL_ACCESS_KEY", "GRADIENT_MODEL_ACCESS_KEY"):
        value = env.get(name, "").strip()
        if value:
            return _check_secret(value, f"${name}")
    raise ConfigError(
        "no model access key: set MODEL_ACCESS_KEY (or GRADIENT_MODEL_ACCESS_KEY), or pass "
        "--key-file. Create one under Serverless Inference → Model Access Keys"
    )


def resolve_inference_url(flag: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    value = flag or env.get("DIGITALOCEAN_INFERENCE_URL") or DEFAULT_INFERENCE_URL
    return resolve_api_url(value, {})
