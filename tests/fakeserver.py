"""What the fake services share (tests/fakehub/, tests/fakegithub.py): a real threaded HTTP server on 127.0.0.1.

Each fake decides its answers (``_respond``) as strictly as the real service; this module only carries requests to
it and answers back, starts and stops the server, and runs it by hand until Ctrl-C.
"""

from __future__ import annotations

import argparse
import select
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn, Self
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class Request:
    """A request as a fake received it (header names lower-cased), and the status it got where the fake records it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int = 0


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | None = None  # set to promise more bytes than the body has (a cut-off answer)


class FakeServer:
    """The server's life: start() on a free port of 127.0.0.1 (``url``), stop(), or use it as a context manager."""

    thread_name = "fake-service"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, log: Callable[[str], None] | None = None) -> None:
        self.requests: list[Request] = []
        self.url = ""
        self.host, self.port, self.log = host, port, log
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # wakes slow answers so stop() never waits for them
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, service=self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        # A short poll interval keeps shutdown() quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    # What each fake defines

    def _respond(self, request: Request, base_url: str) -> Response:
        raise NotImplementedError

    def _crashed(self, error: Exception) -> Response:
        """The answer when _respond raised: a 500 in the service's own error shape."""
        raise NotImplementedError


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in a slow answer must not keep the test process alive

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], *, service: FakeServer):
        self.service = service
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out closes its socket before a slow answer; that is expected, not worth a traceback.
        pass


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0 closes the connection after each answer: no idle keep-alive sockets racing with stop() or with a
    # client's connection pool, and a cut-off answer is seen as a cut-off body rather than a stall.
    protocol_version = "HTTP/1.0"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; a fake's log=... is the way to watch requests

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(parts.path),
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        # Absolute URLs (Link, Location) name the host the client used, so the fake works behind any address.
        service = self.server.service
        base_url = f"http://{request.headers['host']}" if "host" in request.headers else service.url
        try:
            response = service._respond(request, base_url)
        except Exception as error:
            # A bug of the fake (or stored data it cannot serve) must not look like a dropped connection, which a
            # client would retry as a network error: answer a 500 that names it, and show the traceback.
            traceback.print_exc()
            response = service._crashed(error)
        self._send(response)

    # BaseHTTPRequestHandler dispatches on do_<METHOD>; each fake answers every method itself.
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle  # noqa: N815

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        headers = dict(response.headers)
        with_body = self.command != "HEAD" and response.status != 304  # a 304 has neither body nor length
        if response.status != 304:
            headers = {"Content-Type": "application/json; charset=utf-8", **headers}
            length = response.content_length if response.content_length is not None else len(response.body)
            headers["Content-Length"] = str(length)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)


def serve_until_interrupted(service: FakeServer, parser: argparse.ArgumentParser, banner: Callable[[str], str]) -> int:
    """Run a fake by hand until Ctrl-C (or a terminate, which ends as quietly); `banner(url)` is printed first."""
    try:
        service.start()
    except OSError as error:
        parser.exit(1, f"Cannot listen on {service.host}:{service.port}: {error}\n")

    def interrupt(signum: int, frame: object) -> NoReturn:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    print(banner(service.url), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
    return 0


@dataclass
class ByHand:
    """A fake run as a person runs it (see run_by_hand): its port and first line; its exit once it has stopped."""

    port: int
    banner: str = ""
    returncode: int | None = None
    stderr: str = ""


@contextmanager
def run_by_hand(module: str, *, cwd: Path) -> Iterator[ByHand]:
    """`python -m <module> --port <a free port>` until the block ends, then Ctrl-C, as a person would stop it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    run = ByHand(port)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 20)
        assert ready, f"{module} printed nothing"
        run.banner = process.stdout.readline().decode()
        yield run
        process.send_signal(signal.SIGINT)  # Ctrl-C
        _, stderr = process.communicate(timeout=10)
        run.returncode, run.stderr = process.returncode, stderr.decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
