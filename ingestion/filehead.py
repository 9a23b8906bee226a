"""The head of a file: what recognising its layout needs to read, and no more.

Each part (the kind of file, zip members, the first lines of a text, sheet names, the first rows
of each sheet) is read on first use and kept, so that twelve layouts can look at one file and the
file is opened only for what one of them asks. The kind comes from the bytes, never the name.
"""

from __future__ import annotations

import zipfile
import zlib
from functools import cached_property
from pathlib import Path, PurePosixPath

import python_calamine

from ingestion.files import looks_like_html
from ingestion.xlsx_head import XlsxError, XlsxHead

# How much a layout may look at: enough for every header the parsers search.
HEAD_ROWS = 40
HEAD_LINES = 40
_TEXT_BYTES = 1 << 16
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_MEMBER_SUFFIXES = (".txt", ".csv")

# The kinds of file, as a user reads them in a message.
KIND_NAMES: dict[str, str] = {
    "zip": "a zip archive",
    "xlsx": "an Excel workbook (.xlsx)",
    "xls": "a legacy Excel workbook (.xls)",
    "text": "a text file",
    "html": "an HTML page",
    "empty": "an empty file",
    "binary": "a binary file of no known kind",
}


class FileHead:
    """The beginning of one file, read lazily. ``name`` is the file's own name (a hint only)."""

    def __init__(self, path: str | Path, *, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.name

    def __repr__(self) -> str:
        return f"FileHead({str(self.path)!r})"

    @cached_property
    def _start(self) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read(_TEXT_BYTES)

    @cached_property
    def kind(self) -> str:
        """zip, xlsx, xls, text, html, empty or binary, from the file's first bytes."""
        start = self._start
        if not start:
            return "empty"
        if start.startswith(_ZIP_MAGIC):
            return "xlsx" if {"[Content_Types].xml", "xl/workbook.xml"} <= set(self.members) else "zip"
        if start.startswith(_OLE2_MAGIC):
            return "xls"
        if looks_like_html(start[:4096]):
            return "html"
        return "binary" if b"\x00" in start[:4096] else "text"

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    # ---- zip -------------------------------------------------------------------------------

    @cached_property
    def members(self) -> tuple[str, ...]:
        """The names of a zip's files (folders left out); () when it is no readable zip."""
        try:
            with zipfile.ZipFile(self.path) as archive:
                return tuple(n for n in archive.namelist() if not n.endswith("/"))
        except (zipfile.BadZipFile, OSError):
            return ()

    @cached_property
    def text_members(self) -> tuple[str, ...]:
        """The zip's text files (.txt, .csv), by their base name's order in the zip."""
        if self.kind != "zip":
            return ()
        return tuple(n for n in self.members if PurePosixPath(n).name.lower().endswith(_TEXT_MEMBER_SUFFIXES))

    def member_lines(self, member: str) -> tuple[str, ...]:
        """The first lines of a zip's text member, decoded as UTF-8 (BOM dropped)."""
        cache = self.__dict__.setdefault("_member_lines", {})
        if member not in cache:
            try:
                with zipfile.ZipFile(self.path) as archive, archive.open(member) as stream:
                    cache[member] = _lines(stream.read(_TEXT_BYTES))
            except (zipfile.BadZipFile, KeyError, OSError, zlib.error, EOFError):
                cache[member] = ()
        return cache[member]

    # ---- text ------------------------------------------------------------------------------

    @cached_property
    def lines(self) -> tuple[str, ...]:
        """The first lines of a text file, decoded as UTF-8 (BOM dropped; a byte that is not
        UTF-8 becomes U+FFFD, so that a re-saved file is still recognised and its parser then
        names the byte)."""
        return _lines(self._start) if self.kind == "text" else ()

    # ---- workbooks -------------------------------------------------------------------------

    @cached_property
    def _workbook(self) -> XlsxHead | python_calamine.CalamineWorkbook | str:
        """The open workbook, or why it cannot be read."""
        try:
            if self.kind == "xlsx":
                return XlsxHead(str(self.path), HEAD_ROWS)
            if self.kind == "xls":
                return python_calamine.CalamineWorkbook.from_path(str(self.path))
        except (XlsxError, zipfile.BadZipFile, OSError) as exc:
            return f"it cannot be read as a workbook ({exc})"
        except Exception as exc:  # calamine raises its own error types for every broken file
            return f"it cannot be read as a workbook ({type(exc).__name__}: {exc})"
        return f"it is {self.kind_name}, not a workbook"

    @property
    def workbook_problem(self) -> str | None:
        return self._workbook if isinstance(self._workbook, str) else None

    @property
    def sheet_names(self) -> tuple[str, ...]:
        book = self._workbook
        return () if isinstance(book, str) else tuple(book.sheet_names)

    def rows(self, sheet: str) -> tuple[tuple[object, ...], ...]:
        """The first rows of a sheet (row 1 first), empty cells as ``""``; () when unreadable."""
        cache = self.__dict__.setdefault("_rows", {})
        if sheet not in cache:
            book = self._workbook
            cache[sheet] = () if isinstance(book, str) or sheet not in book.sheet_names else _sheet_rows(book, sheet)
        return cache[sheet]


def _sheet_rows(book: XlsxHead | python_calamine.CalamineWorkbook, sheet: str) -> tuple[tuple[object, ...], ...]:
    try:
        if isinstance(book, XlsxHead):
            rows = book.rows(sheet)
        else:
            rows = book.get_sheet_by_name(sheet).to_python(nrows=HEAD_ROWS, skip_empty_area=False)
    except Exception:  # a broken sheet is a sheet with nothing recognisable in it
        return ()
    return tuple(tuple(row) for row in rows)


def _lines(data: bytes) -> tuple[str, ...]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(data) >= _TEXT_BYTES and lines and not text.endswith(("\n", "\r")):
        lines = lines[:-1] or lines  # the last line was cut by the read, unless it is the only one
    return tuple(lines[:HEAD_LINES])
