"""Small file utilities shared by the archive, the parsers and the publisher."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import zipfile
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 20


def column_letter(index: int) -> str:
    """A spreadsheet's column name for a 0-based index: 0 -> A, 27 -> AB (how a user finds a cell)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(reference: str) -> int:
    """The 0-based column of a cell reference or column name: "A1" -> 0, "AB" -> 27 (the
    inverse of :func:`column_letter`)."""
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + (ord(char.upper()) - 64)
    return index - 1


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks so large files never sit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# What each kind of file must start with. An .xlsx is a zip, so it is checked as one first.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script")
_KINDS = {".zip": "zip", ".xlsx": "xlsx", ".xls": "xls", ".csv": "csv", ".txt": "txt"}


def file_kind(filename: str) -> str:
    """The kind of a file from its extension: zip, xlsx, xls, csv, txt or other."""
    return _KINDS.get(Path(filename).suffix.lower(), "other")


def looks_like_html(head: bytes) -> bool:
    """True when the first bytes of a file are an HTML page (a challenge or error page)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_HTML_MARKERS) or (start.startswith(b"<") and b"<html" in start[:1024])


def content_problem(path: str | Path, filename: str, *, member: str | None = None) -> str | None:
    """Why the file at ``path`` is not a plausible ``filename``, or None when it is.

    A zip must open and hold ``member`` (an fnmatch pattern, case-insensitive) when given; an
    xlsx must be a zip with ``[Content_Types].xml``; an xls must be an OLE2 file; nothing may be
    empty or an HTML page. Messages read after the file name, e.g. "is an HTML page, ...".
    """
    kind = file_kind(filename)
    size = os.path.getsize(path)
    if size == 0:
        return "is empty (0 bytes)"
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if looks_like_html(head):
        return f"is an HTML page, not the expected {kind} file"
    if kind in ("zip", "xlsx"):
        if not head.startswith(_ZIP_MAGIC):
            return f"is not a zip archive (it starts with {head[:8]!r}), so it cannot be the expected {kind} file"
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile as exc:
            return f"is a damaged zip archive ({exc})"
        if kind == "xlsx" and "[Content_Types].xml" not in names:
            return "is a zip archive but not an Excel workbook (no [Content_Types].xml)"
        if member is not None:
            wanted = member.lower()
            if not any(fnmatch.fnmatchcase(PurePosixPath(n).name.lower(), wanted) for n in names):
                held = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "") or "nothing"
                return f"holds no file named {member!r} (it holds: {held})"
    elif kind == "xls" and not head.startswith(_OLE2_MAGIC):
        hint = " (it is a zip: an .xlsx saved as .xls?)" if head.startswith(_ZIP_MAGIC) else ""
        return f"is not a legacy Excel (OLE2) workbook{hint}"
    return None


def unpacked_size(path: str | Path) -> int:
    """The bytes a file unpacks to: the sum of a zip's (or an xlsx's) members as its directory
    declares them (Python's zip reader never reads past a member's declared size), else the
    file's own size."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                return sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile:
            pass  # a damaged zip: content_problem says so; its own size is all we know
    return os.path.getsize(path)


def unpacked_problem(path: str | Path, dataset: str, limit_bytes: int | None) -> str | None:
    """Why the file at ``path`` is too big once unpacked for ``dataset``'s limit, or None."""
    if limit_bytes is None:
        return None
    size = unpacked_size(path)
    if size <= limit_bytes:
        return None
    return (
        f"unpacks to {size / 1e6:,.0f} MB, above the catalog's limit of {limit_bytes / 1e6:,.0f} MB for dataset "
        f"{dataset} (max_unpacked_mb)"
    )
