"""Give the operating system back the memory the C heap holds free.

glibc keeps what a parse or a step freed in its heap for later allocations, and the heap rarely
shrinks by itself: a population year (a 100 MB text, its Arrow columns) left about 120 MB behind,
and the process grew by that much with every file and every step."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def give_back_freed_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
