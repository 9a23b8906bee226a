"""`cohesion serve`: the published release's site on http://127.0.0.1:PORT/ (this machine only).

The server serves the release folder (the site, and the exports its pages link to) and answers
``/`` with the site's language choice. No Dagster here."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

import duckdb

from ingestion.errors import CohesionError
from publish.site.build import SITE_DIR

HOST = "127.0.0.1"  # never another interface: the site is for the person at this machine


def published_release_dir(published: Path, releases: Path) -> Path:
    """The folder of the release that is published now, as the published file itself says."""
    if not published.exists():
        raise CohesionError(f"no published release at {published}: run `make run` first")
    with duckdb.connect(str(published), read_only=True) as con:
        release_id = con.execute("select release_id from _release").fetchall()[0][0]
    directory = releases / release_id
    if not (directory / SITE_DIR / "index.html").exists():
        raise CohesionError(
            f"release {release_id} has no site in {directory / SITE_DIR} (it was made before releases had one); "
            "run `make run` to publish a release with its site"
        )
    return directory


class _Handler(http.server.SimpleHTTPRequestHandler):
    def _to_site(self) -> bool:
        """Send a reader who asks for the root to the site's language choice."""
        if self.path not in ("/", "/index.html"):
            return False
        self.send_response(302)
        self.send_header("Location", f"/{SITE_DIR}/index.html")
        self.end_headers()
        return True

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        if not self._to_site():
            super().do_GET()

    def do_HEAD(self) -> None:  # noqa: N802
        if not self._to_site():
            super().do_HEAD()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the standard library's name)
        pass  # one line per file would drown the address printed at start


def make_server(directory: Path, port: int) -> http.server.ThreadingHTTPServer:
    """A server of ``directory`` on 127.0.0.1:``port`` (0 = any free port)."""
    try:
        return http.server.ThreadingHTTPServer((HOST, port), functools.partial(_Handler, directory=str(directory)))
    except OSError as exc:
        raise CohesionError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}; try another --port") from exc
