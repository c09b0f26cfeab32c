"""A lost database connection: the page says so clearly, and recovers when the database is back.

The app reaches PostgreSQL through a small TCP proxy (a thread in this test) that can be stopped
and started on the same port. Stopping it closes its listening socket and every connection it
carries, as a database restart or a network failure would. The page (the overview, through the
real entrypoint with ``AppTest``) must then show the translated database error, without an
exception, and render normally on the next run once the proxy is back, without restarting the
app (the engine is cached per URL). A database that restarts while the app is idle must not cost
even one failed run: ``pool_pre_ping`` tests a pooled connection before use and replaces it.

PostgreSQL only, by design: an SQLite file has no connection that can be lost.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from app import state
from app.i18n import t
from app.session import SessionUser
from inventory import db
from tests.app.conftest import ENTRYPOINT
from tests.helpers import demo_postgres_schema

TIMEOUT = 120
ERROR_PREFIX = t("overview.database_error", lang="sv", reason="").strip()


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``; :meth:`stop` drops everything."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        #: accept connections but never answer (a server that hangs, a dropped route)
        self.silent = False
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            open_sockets, self._sockets = self._sockets, set()
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed: stop accepting
                return
            if self.silent:
                with self._lock:
                    self._sockets.add(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            thread = threading.Thread(target=self._pump, args=(client, server), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        pair = {client: server, server: client}
        try:
            while True:
                readable, _, _ = select.select(list(pair), [], [], 0.5)
                if self._listener is None and not readable:
                    with self._lock:
                        if client not in self._sockets:
                            return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except (OSError, ValueError):  # closed by stop() under our feet
            return
        finally:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._sockets -= {client, server}


@pytest.fixture
def demo_schema(postgres_database: str) -> Iterator[str]:
    """A schema of the run's PostgreSQL database with the demo data; its URL."""
    with demo_postgres_schema(postgres_database, "t") as url:
        yield url


@pytest.fixture
def proxied_app(demo_schema: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TcpProxy]:
    """The app's database URL goes through a proxy (started); fresh caches around the test."""
    direct = make_url(demo_schema)
    proxy = TcpProxy((direct.host or "127.0.0.1", direct.port or 5432))
    proxied = direct.set(host="127.0.0.1", port=proxy.port)
    monkeypatch.setenv(db.ENV_DATABASE_URL, proxied.render_as_string(hide_password=False))
    monkeypatch.delenv("SKOLBIB_DEMO_USER", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
        st.cache_data.clear()
        st.cache_resource.clear()


def database_errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error if e.value.startswith(ERROR_PREFIX)]


def assert_rendered(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not database_errors(at), database_errors(at)
    assert at.title and at.title[0].value == t("overview.title", lang="sv")
    assert len(at.metric) >= 3  # the key figures came from the database


def assert_database_error(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    errors = database_errors(at)
    assert len(errors) == 1, [e.value for e in at.error]
    # the driver's own reason follows the translated sentence
    assert "127.0.0.1" in errors[0] or "connect" in errors[0].lower(), errors[0]
    assert not at.metric


def test_a_lost_connection_shows_a_clear_message_and_recovers(proxied_app: TcpProxy) -> None:
    proxy = proxied_app
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    # no account id: the entrypoint then re-reads no account row, so the page's own reads are
    # the first to meet a dead connection (revalidation would otherwise absorb that)
    at.session_state["user"] = SessionUser(username="pl", display_name="PL", role="projektledare")

    at.run()
    assert_rendered(at)

    # the database goes away while the app holds pooled connections to it; the cached frames
    # would serve the page for their TTL, so they are dropped as if it had run out
    proxy.stop()
    st.cache_data.clear()
    at.run()
    assert_database_error(at)
    at.run()  # still down: the same message, still no exception
    assert_database_error(at)

    proxy.start()
    at.run()  # no restart: the cached engine reconnects
    assert_rendered(at)

    # a second outage after recovery behaves the same
    proxy.stop()
    st.cache_data.clear()
    at.run()
    assert_database_error(at)
    proxy.start()
    at.run()
    assert_rendered(at)

    # the database restarts while nobody uses the app: the pooled connections are dead, yet
    # the next run must not fail once (they are tested before use and replaced)
    proxy.stop()
    proxy.start()
    st.cache_data.clear()
    at.run()
    assert_rendered(at)


def test_a_server_that_does_not_answer_gives_the_message_after_the_timeout(
    proxied_app: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connections are accepted but never answered: the page waits for
    ``SKOLBIB_DATABASE_CONNECT_TIMEOUT`` seconds, not for the operating system's TCP timeout."""
    monkeypatch.setenv(state.ENV_CONNECT_TIMEOUT, "2")
    proxy = proxied_app
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = SessionUser(username="pl", display_name="PL", role="projektledare")
    at.run()
    assert_rendered(at)

    proxy.stop()
    proxy.silent = True
    proxy.start()
    st.cache_data.clear()
    started = time.monotonic()
    at.run()
    waited = time.monotonic() - started
    assert_database_error(at)
    assert "timeout" in database_errors(at)[0].lower()
    # two reads of the page's header may each wait once; far below a TCP connect timeout
    assert waited < 30, waited

    proxy.stop()
    proxy.silent = False
    proxy.start()
    at.run()
    assert_rendered(at)


def test_a_malformed_database_url_gives_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(db.ENV_DATABASE_URL, "postgresql+nosuchdriver://skolbib@127.0.0.1/x")
    monkeypatch.delenv("SKOLBIB_DEMO_USER", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(ENTRYPOINT, default_timeout=TIMEOUT)
    at.session_state["user"] = SessionUser(username="pl", display_name="PL", role="projektledare")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    errors = database_errors(at)
    assert len(errors) == 1 and "nosuchdriver" in errors[0], [e.value for e in at.error]
