"""Fewer malloc arenas for the daemon's threads (glibc).

glibc gives each new thread a malloc arena of its own, up to eight per core, and
memory freed in one arena serves only that arena's later requests. The daemon runs
harvest, routing and delivery on APScheduler's pool of ten threads (and the embedded
web server's), so the same work spreads over a dozen arenas that each keep their
high-water mark. Measured with ``bench/scaleout_bench.py --case web`` (one daemon
ingesting 10,000 mentions on PostgreSQL): daemon peak RSS 389 MB with glibc's default,
295 MB with two arenas, at the same CPU time. The threads take turns under the GIL
anyway, so two arenas cost no waiting that shows.

``MALLOC_ARENA_MAX`` in the environment (read by glibc at start) wins: nothing is
changed then. Elsewhere than glibc (musl, macOS) this does nothing.
"""

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

#: glibc's mallopt parameter number for the arena limit (malloc.h: M_ARENA_MAX)
M_ARENA_MAX = -8
#: arenas the daemon keeps: the main one and one its threads share
DAEMON_ARENAS = 2


def limit_malloc_arenas(count: int = DAEMON_ARENAS) -> bool:
    """Limit glibc to *count* malloc arenas from now on; whether the limit was set.

    Call it before the threads start: a thread keeps the arena it first used.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        # Only glibc names itself this way; another libc may have a mallopt that
        # does not know glibc's parameter numbers.
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = mallopt(M_ARENA_MAX, count) == 1
    if done:
        log.debug("malloc arenas limited to %d", count)
    return done
