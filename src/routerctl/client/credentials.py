"""Where the secrets and URLs come from: API token, model access key, API and inference URLs.

A secret read here is registered for scrubbing (redact) before anything else sees it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SecretSource:
    """Where one kind of secret comes from, and how messages name it."""

    file_what: str  # fsio's word for the file ("token file")
    file_name: str  # how messages name a file of it, {} for the path
    in_file: str  # how messages name the secret read from a file, {} for the path
    env_vars: tuple[str, ...]
    env_label: str  # how messages name a variable, {} for its name
    missing: str  # the whole message when nothing is set


TOKEN_SOURCE = SecretSource(
    file_what="token file",
    file_name="token file {}",
    in_file="the token in {}",
    env_vars=TOKEN_ENV_VARS,
    env_label="{}",
    missing="no DigitalOcean API token: pass --token-file FILE, or set DIGITALOCEAN_TOKEN or "
    "DIGITALOCEAN_ACCESS_TOKEN",
)
MODEL_KEY_SOURCE = SecretSource(
    file_what="key file",
    file_name="the model access key file {}",
    in_file="the model access key in {}",
    env_vars=("MODEL_ACCESS_KEY", "GRADIENT_MODEL_ACCESS_KEY"),
    env_label="${}",
    missing="no model access key: set MODEL_ACCESS_KEY (or GRADIENT_MODEL_ACCESS_KEY), or pass "
    "--key-file. Create one under Serverless Inference → Model Access Keys",
)


def resolve_secret(
    source: SecretSource, *, path: str | None, environ: Mapping[str, str] | None = None
) -> str:
    """The one lookup behind the API token and the model access key: the file (stripped,
    read with fsio's bounds, every word of it registered for scrubbing), else the first
    non-empty variable (empty counts as unset, Terraform's rule), else ConfigError."""
    env = os.environ if environ is None else environ
    if path is not None:  # an empty --token-file "" is an error, never a silent fallback
        try:  # fsio: regular file, bounded, a FIFO never blocks (issue 14)
            text = fsio.read_text(path, limit=fsio.SECRET_LIMIT, what=source.file_what)
        except fsio.FileProblem as exc:
            raise ConfigError(
                f"cannot read {source.file_name.format(path)}: {exc.detail}"
            ) from None
        _register_file_text(text)
        secret = text.strip()
        if not secret:
            raise ConfigError(f"{source.file_name.format(path)} is empty")
        return _check_secret(secret, source.in_file.format(path))
    for name in source.env_vars:
        value = env.get(name, "").strip()
        if value:
            return _check_secret(value, source.env_label.format(name))
    raise ConfigError(source.missing)


def resolve_token(
    *, token_file: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The API token: `--token-file` (stripped), then DIGITALOCEAN_TOKEN, then
    DIGITALOCEAN_ACCESS_TOKEN. Empty variables count as unset (Terraform's rule)."""
    return resolve_secret(TOKEN_SOURCE, path=token_file, environ=environ)


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
    return resolve_secret(MODEL_KEY_SOURCE, path=key_file, environ=environ)


def resolve_inference_url(flag: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    value = flag or env.get("DIGITALOCEAN_INFERENCE_URL") or DEFAULT_INFERENCE_URL
    return resolve_api_url(value, {})
