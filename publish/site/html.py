"""The frame every page shares: language, banner, header with the language switch, footer."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape

from publish.site.i18n import LANG_NAMES, LANGS, text


def e(value: object) -> str:
    """Text for HTML (quotes too, so it is safe inside attributes)."""
    return "" if value is None else _escaped(value if value.__class__ is str else str(value))


# A page escapes the same labels, names and sentences as the 1,700 others: each once.
@lru_cache(maxsize=16384)
def _escaped(text: str) -> str:
    return escape(text, quote=True)


@dataclass(frozen=True)
class Frame:
    """What every page says about the release."""

    release_id: str
    created_at: str
    data_origin: str
    synthetic: bool


def page(
    frame: Frame, *, lang: str, depth: int, path_in_lang: str, title: str, body: str, scripts: tuple[str, ...] = (),
    body_attrs: str = "",
) -> str:
    """A whole page. ``depth`` is how many folders below the site's root it lives (links stay
    relative so that the site opens from file:// as well as from a server); ``path_in_lang`` is its
    path inside a language folder, so the switch leads to the same page in the other language."""
    root = "../" * depth
    banner = f'<div class="banner" role="note" id="synthetic-banner">{e(text("synthetic_banner", lang))}</div>' if frame.synthetic else ""
    switch = " ".join(
        f'<a href="{root}{other}/{path_in_lang}" hreflang="{other}" lang="{other}"'
        + (' aria-current="page"' if other == lang else "")
        + f">{LANG_NAMES[other]}</a>"
        for other in LANGS
    )
    script_tags = "".join(f'<script src="{root}{s}"></script>' for s in scripts)
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{e(title)} · {e(text("site_title", lang))}</title>'
        f'<link rel="stylesheet" href="{root}assets/site.css">'
        # An icon of our own, or the browser asks the server's root for /favicon.ico.
        f'<link rel="icon" href="{root}assets/favicon.svg" type="image/svg+xml"></head>'
        f"<body{body_attrs}>{banner}"
        f'<header class="site"><a class="title" href="{root}{lang}/index.html">{e(text("site_title", lang))}</a>'
        f'<nav aria-label="{e(text("site_title", lang))}"><a href="{root}{lang}/index.html">{e(text("home", lang))}</a>'
        f'<a href="{root}{lang}/method.html">{e(text("method", lang))}</a></nav>'
        f'<nav class="langs" aria-label="{e(text("language", lang))}">{switch}</nav></header>'
        f"<main>{body}</main>"
        f'<footer>{e(text("release", lang))} <span id="release-id">{e(frame.release_id)}</span> · '
        f'{e(text("created_at", lang))} {e(frame.created_at)} · {e(text("data_origin", lang))}: {e(frame.data_origin)}</footer>'
        f"{script_tags}</body></html>\n"
    )


def table(headers: list[tuple[str, bool]], rows: list[list[str]], *, caption: str = "", attrs: str = "") -> str:
    """A table whose cells are already HTML; a header flagged True is numeric (right-aligned)."""
    numeric = ' class="n"'
    head = "".join(f'<th scope="col"{numeric if is_number else ""}>{e(h)}</th>' for h, is_number in headers)
    body = "".join(
        "<tr>" + "".join(f'<td{numeric if headers[i][1] else ""}>{cell}</td>' for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    return f"<table{attrs}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
