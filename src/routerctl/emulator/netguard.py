"""Where the emulator may listen and who may drive it: start-up problems as one line, and the
control API's loopback / same-origin rule."""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses, with or without a port."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def control_refusal(headers: Mapping[str, str]) -> str | None:
    """Why a control request is refused, or None. The control API needs no token, so a web
    page must not reach it: a browser sends its page's Origin (and, after DNS rebinding, a
    Host that is not loopback); curl, httpx and tests send neither."""
    host = headers.get("host")
    if host is None or not is_loopback(host):
        return "the control API answers only requests whose Host is a loopback address"
    origin = headers.get("origin")
    if origin is not None:
        origin_host = urlsplit(origin.strip()).netloc if "//" in origin else ""
        if not origin_host or not is_loopback(origin_host):
            return "the control API refuses cross-origin requests"
    if headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return "the control API refuses cross-origin requests"
    return None


def host_problem(host: str) -> str | None:
    """Why `host` cannot be bound, decided without DNS: a name other than localhost would be
    looked up, which can stall for seconds offline, and is not an address of this machine."""
    if host == "localhost":
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        shown = host if host.isprintable() else repr(host)
        return (
            f"cannot listen on {shown!r}: --host must be an IP address of this machine "
            "(127.0.0.1, ::1, or 0.0.0.0 for every interface) or localhost"
        )
    return None


def listen_problem(host: str, port: int, exc: BaseException) -> str:
    """One line for a failed bind: what, where, and what to do."""
    where = f"{host}:{port}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {where}: the port is already in use (another emulator?); "
            "pick another --port, or --port 0 for a free one"
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot listen on {where}: permission denied; use a --port above 1023"
    if isinstance(exc, socket.gaierror | UnicodeError) or (
        isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL
    ):
        return (
            f"cannot listen on {where}: {host!r} is not an address of this machine; "
            "use --host 127.0.0.1 (or ::1)"
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot listen on {where}: {reason}"
