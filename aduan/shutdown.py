"""Stopping the daemon on SIGTERM or SIGINT, from its very first moment.

``aduan run`` installs the handler before anything else (loading the store, the
model, the web inbox), so a stop asked for during start-up ends the process cleanly
with status 0 once the current start-up step is done, instead of killing it half-way.
A second signal forces the exit.
"""

import signal
import threading
from types import FrameType

#: what the second signal exits with: 128 + the signal's number, as shells report it
_FORCED = 128


def install_stop_handlers(stop: threading.Event | None = None) -> threading.Event:
    """Make SIGTERM and SIGINT set (and return) *stop*; a second signal exits at once."""
    event = stop if stop is not None else threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        if event.is_set():
            raise SystemExit(_FORCED + signum)
        event.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handle)
    return event
