"""The daemon's threads share malloc arenas (aduan.malloc_arenas), counted by glibc itself.

aduan runs on glibc (Debian); these tests count glibc's arenas.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aduan.malloc_arenas import limit_malloc_arenas

#: eight threads, alive together, each allocating through malloc (blocks above
#: pymalloc's 512 bytes, below the mmap threshold); then glibc's malloc_info lists the
#: arenas (<heap nr=...>) into a file
PROGRAM = textwrap.dedent(
    """
    import ctypes, ctypes.util, sys, threading
    from aduan.malloc_arenas import limit_malloc_arenas

    limited = limit_malloc_arenas() if sys.argv[2] == "limit" else False
    barrier = threading.Barrier(8)
    kept = []

    def work():
        kept.append([bytearray(4096) for _ in range(200)])
        barrier.wait()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
    libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
    libc.fclose.argtypes = (ctypes.c_void_p,)
    out = libc.fopen(sys.argv[1].encode(), b"w")
    libc.malloc_info(0, out)
    libc.fclose(out)
    print(limited)
    """
)


def _arenas(tmp_path: Path, mode: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    report = tmp_path / f"malloc-{mode}.xml"
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(report), mode],
        capture_output=True,
        text=True,
        check=True,
        env={**environ, **(env or {})},
        cwd=Path(__file__).parents[2],
    )
    return report.read_text().count("<heap nr="), done.stdout.strip()


def test_the_daemon_threads_share_two_arenas(tmp_path: Path) -> None:
    default, _ = _arenas(tmp_path, "default")
    limited, said = _arenas(tmp_path, "limit")
    assert default > 2  # glibc's own choice: an arena per thread, here
    assert said == "True"
    assert limited <= 2


def test_the_operator_s_malloc_arena_max_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
    arenas, said = _arenas(tmp_path, "limit", env={"MALLOC_ARENA_MAX": "4"})
    assert said == "False"
    assert 2 < arenas <= 4
