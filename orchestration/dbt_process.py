"""`cohesion-dbt`: dbt, started so that it ends with the run that started it.

dagster-dbt starts dbt as a child process. When the run is killed (kill -9, an OOM kill), a plain
child lives on as an orphan and keeps writing the working database (it did, for 32 s). This
wrapper is the ``dbt_executable`` the DbtCliResource starts instead: it puts itself in a process
group of its own (a signal for the run's group, such as Ctrl-C in a terminal, reaches dbt only
through dagster-dbt, which forwards it), asks the kernel to kill it when its parent dies
(Linux ``PR_SET_PDEATHSIG``), and then becomes dbt (``execv``: same pid, same pipes). On other
systems there is no such request; the run's own cleanup (orchestration/defs/dbt.py) still ends
the group when the run ends normally or with an error.

It also runs dbt in the working database's folder, naming the database by its file name only
(``COHESION_DBT_DATABASE``): dbt re-parses the whole project when the profile's connection
changes, and with an absolute path every new data folder (each test, each benchmark run) was a
changed profile. The manifest `cohesion prepare` parses is then valid in every data folder.

Kept free of heavy imports: it runs before every dbt command.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

# Set by the run before it starts dbt: the pid dbt must not outlive.
PARENT_ENV = "COHESION_DBT_PARENT_PID"
# The database as dbt's profile names it (profiles.yml), relative to the folder dbt runs in.
DATABASE_ENV = "COHESION_DBT_DATABASE"
# Paths dagster-dbt hands dbt through the environment; absolute before dbt changes folder.
_PATH_ENVS = ("DBT_PROJECT_DIR", "DBT_PROFILES_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH")


def in_warehouse_folder(environ: dict[str, str], cwd: str) -> str | None:
    """Prepare ``environ`` for dbt run in the working database's folder: the paths dbt reads made
    absolute (the project being ``cwd``, where dagster-dbt starts dbt), and the database named
    by its file name. Returns the folder, or None when no working database is set."""
    warehouse = environ.get("COHESION_WAREHOUSE")
    if not warehouse:
        return None
    environ.setdefault("DBT_PROJECT_DIR", cwd)
    for name in _PATH_ENVS:
        if environ.get(name):
            environ[name] = os.path.join(cwd, environ[name])  # unchanged when already absolute
    folder, environ[DATABASE_ENV] = os.path.split(os.path.abspath(os.path.join(cwd, warehouse)))
    return folder
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def real_dbt() -> str:
    """The dbt installed beside this Python (the venv's bin/ is not always on PATH)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    expected_parent = os.environ.get(PARENT_ENV)
    try:
        os.setpgid(0, 0)  # a process group of its own, dbt its leader
    except OSError:
        pass  # already a group leader (started with start_new_session): nothing to do
    _die_with_parent()
    # The parent may have died before the request above was made: then it would never fire.
    if expected_parent and str(os.getppid()) != expected_parent:
        return 137
    folder = in_warehouse_folder(os.environ, os.getcwd())  # type: ignore[arg-type]
    if folder is not None:
        os.chdir(folder)
    dbt = real_dbt()
    os.execvp(dbt, [dbt, *args])
    return 127  # not reached: execvp replaces this process or raises


if __name__ == "__main__":
    sys.exit(main())
