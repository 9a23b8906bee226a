"""Build a release's site from its DuckDB file: ``<release>/site/`` with one folder per language
(index.html, method.html, c/<nis>.html), the shared assets and a root page to choose a language.

The site is written in a temporary folder beside its target and renamed into place, so a release
folder never holds half a site. It makes no request at view time: system fonts, no library, the
map drawn server-side as SVG, the map's data in a script file (which file:// allows, unlike fetch).
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from publish.site.data import load_release
from publish.site.html import Frame, e, page
from publish.site.i18n import LANG_NAMES, LANGS, text
from publish.site.pages_commune import CommuneTables, commune_page
from publish.site.pages_home import map_data_script, home_page, measures
from publish.site.pages_method import method_page

SITE_DIR = "site"
ASSETS = ("site.css", "site.js", "favicon.svg")


@dataclass(frozen=True)
class SiteBuild:
    directory: Path
    pages: int
    bytes: int
    seconds: float
    slowest_page: str
    slowest_page_seconds: float

    @property
    def megabytes(self) -> float:
        return round(self.bytes / 1_000_000, 1)

    def summary(self) -> str:
        return (
            f"site: {self.pages} pages, {self.megabytes} MB, built in {self.seconds:.1f} s "
            f"(slowest page {self.slowest_page}: {self.slowest_page_seconds * 1000:.0f} ms): {self.directory / 'index.html'}"
        )


def _root_page(frame: Frame) -> str:
    """site/index.html: the three languages, each in its own words."""
    links = "".join(
        f'<li><a href="{lang}/index.html" hreflang="{lang}" lang="{lang}">{LANG_NAMES[lang]}: {e(text("site_title", lang))}</a></li>'
        for lang in LANGS
    )
    body = f"<h1>{' · '.join(e(text('choose_language', lang)) for lang in LANGS)}</h1><ul>{links}</ul>"
    # The root page sits at the site's top: its links to a language need no "../".
    html = page(frame, lang="fr", depth=0, path_in_lang="index.html", title=text("site_title", "fr"), body=body)
    return html


def build_site(release_file: Path, target: Path) -> SiteBuild:
    """Write the site of ``release_file`` to ``target`` (which must not exist yet)."""
    if target.exists():
        raise FileExistsError(f"{target} already exists; a release's site is built once")
    started = time.perf_counter()
    staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}.tmp")
    staging.mkdir(parents=True)
    pages = _Pages(staging)
    try:
        with duckdb.connect(str(release_file), read_only=True) as con:
            data = load_release(con)
            frame = Frame(
                release_id=data.release["release_id"], created_at=data.release["created_at"],
                data_origin=data.release["data_origin"], synthetic=data.synthetic,
            )
            tables = CommuneTables(data)
            (staging / "assets").mkdir()
            for name in ASSETS:
                pages.copy(f"assets/{name}", resources.files("publish.site").joinpath("assets", name).read_bytes())
            found = measures(data)
            pages.write("assets/mapdata.js", lambda: map_data_script(data, found))
            pages.write("index.html", lambda: _root_page(frame))
            for lang in LANGS:
                (staging / lang / "c").mkdir(parents=True)
                pages.write(f"{lang}/index.html", lambda lang=lang: home_page(data, frame, found, lang))
                pages.write(f"{lang}/method.html", lambda lang=lang: method_page(data, frame, lang))
            # A commune's three pages one after the other: they share what CommuneTables works
            # out for the commune (numbers, charts) once. (In one process: a forked second one
            # writing part of the pages made the build slower, not faster, on two shared cores.)
            for nis in data.communes["nis_code"]:
                for lang in LANGS:
                    pages.write(f"{lang}/c/{nis}.html", lambda nis=nis, lang=lang: commune_page(data, tables, frame, nis, lang))
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    slowest = max(pages.timings, key=pages.timings.get)
    count = sum(1 for name in pages.timings if name.endswith(".html"))
    return SiteBuild(target, count, pages.bytes, time.perf_counter() - started, slowest, pages.timings[slowest])


class _Pages:
    """Files written into the staging folder: how long each page took, and the bytes."""

    def __init__(self, staging: Path):
        self.staging = staging
        self.timings: dict[str, float] = {}
        self.bytes = 0

    def write(self, relative: str, render: Callable[[], str]) -> None:
        started = time.perf_counter()
        self.copy(relative, render().encode("utf-8"))
        self.timings[relative] = time.perf_counter() - started

    def copy(self, relative: str, content: bytes) -> None:
        (self.staging / relative).write_bytes(content)
        self.bytes += len(content)
