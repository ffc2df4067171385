"""Listening sockets for ``aduan web``'s workers: one per worker, spread by the kernel.

uvicorn's workers share the one socket their parent bound, and whichever worker's event
loop wakes first accepts the connection: measured under 20 keep-alive clients, one of
two workers did three quarters of the work (``bench/scaleout_bench.py`` prints the CPU
seconds of each). Here each worker binds its own socket to the same address with
``SO_REUSEPORT``, and the kernel spreads new connections evenly over them. The parent
holds only a placeholder that binds in the worker when it is unpickled there, so the
parent listens on nothing, and a worker that dies takes its socket with it.
"""

import socket
from typing import Any

from models.exceptions import ConfigError

#: pending connections per worker socket (uvicorn's default)
BACKLOG = 2048


def listen_reuse_port(host: str, port: int) -> socket.socket:
    """A socket listening on (*host*, *port*) beside the other workers' (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


class WorkerListener(socket.socket):
    """Stands for one worker's socket in the parent; each worker binds its own."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.address = (host, port)

    def __reduce__(self) -> tuple[Any, ...]:
        return (listen_reuse_port, self.address)


def worker_listeners(host: str, port: int) -> list[socket.socket]:
    """The sockets to give uvicorn's supervisor: bound by each worker, not here.

    The address is tried once here, so a port another program holds is an error now
    rather than in every worker.
    """
    try:
        listen_reuse_port(host, port).close()
    except OSError as err:
        raise ConfigError(f"web: cannot listen on {host}:{port}: {err.strerror or err}") from None
    return [WorkerListener(host, port)]
