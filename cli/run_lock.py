"""One writer per data folder: the lock every command that writes the folder takes first.

Two runs on one data folder would both load the raw tables and publish over each other (the
loser used to die on DuckDB's own lock, halfway). The lock is an advisory ``flock`` on
``<data>/.lock``, held for the whole command: the kernel releases it when its holder exits, even
when killed with -9, so a lock whose holder is dead is free and simply taken over. The file
holds the holder's pid, host, command and start time, for the one line a second command prints
("in use by pid 4242 on host x: `cohesion run --sample` since ..."), and to say that a stale lock
was taken over.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingestion.errors import CohesionError

LOCK_FILE = ".lock"
_POLL_SECONDS = 0.5


class DataFolderBusy(CohesionError):
    """Another command holds the data folder."""


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    command: str
    since: str

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}: `{self.command}` since {self.since}"


@dataclass(frozen=True)
class HeldLock:
    path: Path
    holder: LockHolder
    took_over: LockHolder | None  # the dead holder whose lock this one replaced, if any

    def note(self) -> str | None:
        if self.took_over is None:
            return None
        return f"took over the lock of {self.took_over.describe()}, which is no longer running"


def _read_holder(handle) -> LockHolder | None:
    handle.seek(0)
    text = handle.read()
    try:
        data = json.loads(text)
        return LockHolder(int(data["pid"]), str(data["host"]), str(data["command"]), str(data["since"]))
    except (ValueError, KeyError, TypeError):
        return None


@contextmanager
def data_folder_lock(data_dir: Path, command: str, *, wait_seconds: float = 0.0) -> Iterator[HeldLock]:
    """Hold the data folder for the block. Raises :class:`DataFolderBusy` naming the holder when
    another command has it and ``wait_seconds`` pass without it being released."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    handle = open(path, "a+", encoding="utf-8")
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(handle)
                    who = holder.describe() if holder is not None else "another process (it left no details)"
                    waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
                    raise DataFolderBusy(
                        f"the data folder {data_dir} is in use by {who}{waited}; wait for it to finish "
                        "(or pass --wait SECONDS), or use another COHESION_DATA_DIR"
                    ) from None
                time.sleep(_POLL_SECONDS)
        # Ours now. Details left in the file belong to a holder that died without releasing it.
        stale = _read_holder(handle)
        holder = LockHolder(os.getpid(), socket.gethostname(), command, datetime.now(UTC).isoformat(timespec="seconds"))
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(holder.__dict__) + "\n")
        handle.flush()
        try:
            yield HeldLock(path, holder, stale)
        finally:
            handle.seek(0)
            handle.truncate()  # released cleanly: nothing stale for the next holder to report
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
