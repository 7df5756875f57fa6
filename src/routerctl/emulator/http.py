"""The emulator's HTTP plumbing: the threaded server, the request handler (bounded bodies,
idle timeouts, one JSON reply per request), and the request/reply/route types the handlers in
server.py use. No API behaviour lives here."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import socketserver
import sys
import threading
import uuid as uuidlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, quote, urlsplit

from routerctl.emulator.state import (
    NOT_FOUND_MESSAGE,
    bad_request,
)

logger = logging.getLogger("routerctl.emulator")  # the server's logger: one name

if TYPE_CHECKING:
    from routerctl.emulator.server import Emulator


MAX_BODY_BYTES = 1 << 20  # routers are small; a larger body is a client bug


IDLE_CONNECTION_TIMEOUT = 300.0  # seconds a keep-alive connection may sit idle


_ERROR_IDS: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_entity_too_large",
    422: "unprocessable_entity",
    429: "too_many_requests",
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


_ERROR_MESSAGES: dict[int, str] = {
    401: "Unable to authenticate you.",
    404: NOT_FOUND_MESSAGE,
    429: "API rate limit exceeded.",
    500: "Server was unable to give you a response.",
}


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    request_id: str
    host: str

    @property
    def token(self) -> str | None:
        """The bearer token, or None when the header is missing or malformed."""
        value = self.headers.get("authorization", "")
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
            return None
        return token.strip()

    def json(self) -> Any:
        if not self.body.strip():
            raise bad_request("request body must be a JSON object")
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise bad_request(f"request body is not valid JSON: {exc}") from exc


@dataclass
class _Reply:
    status: int = 200
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering

    @classmethod
    def dropped(cls) -> _Reply:
        return cls(status=0, drop=True)


def _api_error(
    req: _Request, status: int, message: str | None = None, error_id: str | None = None
) -> _Reply:
    """A DigitalOcean-shaped error: `{"id", "message", "request_id"}`."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return _Reply(
        status,
        {
            "id": error_id or _ERROR_IDS.get(status, phrase.lower().replace(" ", "_")),
            "message": message or _ERROR_MESSAGES.get(status, phrase + "."),
            "request_id": req.request_id,
        },
    )


def _openai_error(
    status: int, message: str, code: str, kind: str = "invalid_request_error"
) -> _Reply:
    """An OpenAI-shaped error, as the inference endpoint answers."""
    return _Reply(status, {"error": {"message": message, "type": kind, "code": code}})


def _seconds(value: float) -> str:
    # Whole seconds are sent as integers (the HTTP form). Fractions are kept as-is, which is
    # non-standard but lets fault-injection tests retry in milliseconds.
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _header_value(value: str) -> str:
    """Make a value safe for an HTTP header: no CR/LF, Latin-1 only (task names are free text)."""
    flat = " ".join(value.splitlines())
    try:
        flat.encode("latin-1")
    except UnicodeEncodeError:
        return quote(flat, safe=" -_.:/")
    return flat


def _int_param(req: _Request, name: str, default: int) -> int:
    values = req.query.get(name)
    if not values or values[-1] == "":
        return default
    try:
        number = int(values[-1])
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if number < 1:
        raise bad_request(f"{name} must be at least 1")
    return number


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    template: str
    methods: dict[str, str]  # HTTP method -> Emulator method name


def _route(regex: str, template: str, **methods: str) -> _Route:
    return _Route(re.compile(regex), template, methods)


def _match(routes: tuple[_Route, ...], path: str) -> tuple[_Route, dict[str, str]] | None:
    for route in routes:
        found = route.pattern.match(path)
        if found:
            return route, found.groupdict()
    return None


def _slicer(items: list[Any]) -> Callable[[int, int], list[Any]]:
    return lambda start, stop: items[start:stop]


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that tracks open connections, so stop() can close keep-alive
    sockets, and that stays quiet when clients disconnect mid-answer (timeouts, drops)."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 dropped connections when a client opened 8-32 at
    # once (seen in the kernel's listen-drop counter): each drop cost the client a 1 s SYN retry.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can
        # stall for seconds on some hosts; the emulator never needs the name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        with self._connections_lock:
            open_now = list(self._connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError | OSError):
            return
        logger.exception("emulator: error while handling a request from %s", client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients pool connections
    server_version = "routerctl-emulator"
    timeout = IDLE_CONNECTION_TIMEOUT
    # Buffer the answer so headers and body leave in one write, and disable Nagle. Otherwise
    # two small writes on a keep-alive connection meet the client's delayed ACK, and every
    # request stalls for about 40 ms. That would swamp any benchmark run against the emulator.
    wbufsize = -1

    def version_string(self) -> str:
        return self.server_version  # no trailing "Python/3.x": it is not the API's business

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, CONNECT, made-up ones) gets the JSON 405 with `Allow`, not
        # http.server's HTML 501 (schemathesis found that one).
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self) -> bytes | None:
        """The request body, or None if it cannot be read (answer already sent)."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    length = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.close_connection = True
                    return None
                if length == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                size += length
                if size > MAX_BODY_BYTES:
                    self.close_connection = True
                    return None
                chunks.append(self.rfile.read(length))
                self.rfile.readline(1024)
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        emulator = cast(_HTTPServer, self.server).emulator
        request_id = str(uuidlib.uuid4())
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or f"{emulator.host}:{emulator.port}"
        body = self._read_body()
        req = _Request(
            self.command,
            path,
            parse_qs(split.query, keep_blank_values=True),
            headers,
            body or b"",
            request_id,
            host,
        )
        if body is None:
            reply = _api_error(
                req, 413 if self.close_connection else 400, "request body is too large or malformed"
            )
        else:
            try:
                reply = emulator._dispatch(req)
            except Exception:
                logger.exception("emulator: unhandled error for %s %s", self.command, path)
                reply = _api_error(req, 500)
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = b"" if reply.payload is None else json.dumps(reply.payload).encode("utf-8")
        if not path.startswith("/_emulator/"):
            emulator._request_log.record(req, reply.status, reply.headers, data)
        self._write(reply, request_id, data)

    def _write(self, reply: _Reply, request_id: str, data: bytes) -> None:
        self.send_response(reply.status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", request_id)
        for key, value in reply.headers.items():
            self.send_header(key, _header_value(value))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)
