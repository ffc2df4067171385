"""Each ``aduan web`` worker listens on its own socket, and the kernel spreads connections."""

import pickle
import socket
from multiprocessing.reduction import ForkingPickler

import pytest

from aduan.web_listen import WorkerListener, listen_reuse_port, worker_listeners
from models.exceptions import ConfigError
from tests.support.net import free_port


def test_connections_are_spread_over_the_workers_sockets() -> None:
    port = free_port()
    first, second = listen_reuse_port("127.0.0.1", port), listen_reuse_port("127.0.0.1", port)
    clients = []
    try:
        for _ in range(40):
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        accepted = []
        for sock in (first, second):
            sock.setblocking(False)
            n = 0
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                n += 1
            accepted.append(n)
    finally:
        for c in clients:
            c.close()
        first.close()
        second.close()
    assert sum(accepted) == 40
    assert min(accepted) >= 5, accepted  # one socket alone would take all 40


def test_the_placeholder_binds_where_it_is_unpickled() -> None:
    port = free_port()
    (placeholder,) = worker_listeners("127.0.0.1", port)
    assert isinstance(placeholder, WorkerListener)
    # The parent's placeholder listens on nothing.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    # What multiprocessing sends a worker is the address; the worker binds its own.
    worker = pickle.loads(ForkingPickler.dumps(placeholder))
    try:
        assert worker.getsockname() == ("127.0.0.1", port)
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        worker.close()
        placeholder.close()


def test_a_port_another_program_holds_is_a_clear_error() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(ConfigError, match=f"web: cannot listen on 127.0.0.1:{port}"):
            worker_listeners("127.0.0.1", port)
