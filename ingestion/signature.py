"""Layout signatures: how a parser module tells its files from any other by their content.

Every parser module exports ``SIGNATURES = {layout_id: Signature(...)}``. A signature names the
kinds of file the layout reads and a check of the file's head that returns None when the file has
the layout's signature, else a short reason why not ("no sheet named 'Par commune' or 'Per
gemeente'"). A layout may also say which year a file holds (for a one-file-per-year catalog
entry), which labels it carries (matched against a catalog entry's ``signature.labels``) and
which datasets its content can belong to. The helpers below read the headers several Statbel
layouts share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ingestion.filehead import KIND_NAMES, FileHead
from ingestion.labels import normalise_label

Check = Callable[[FileHead], str | None]


@dataclass(frozen=True)
class Year:
    """The data year a file's content states, and where it says so (for messages)."""

    year: int
    where: str


@dataclass(frozen=True)
class Signature:
    """What a layout's files look like. ``check`` returns None on a match, else why not."""

    kinds: frozenset[str]
    check: Check
    # The file's own labels (Swing indicators, a crosswalk's header), for catalog signatures.
    labels: Callable[[FileHead], frozenset[str]] | None = None
    # Every statement of the data year in the content (CD_YEAR, a member name, a title), for
    # one-file-per-year catalog entries; statements that disagree make the file ambiguous.
    year: Callable[[FileHead], tuple[Year, ...]] | None = None
    # The datasets the content can belong to (None: any dataset whose entry has the layout).
    datasets: Callable[[FileHead], frozenset[str] | None] | None = None

    @classmethod
    def of_header(
        cls, kinds: frozenset[str], read: Callable[[FileHead], Sequence[str] | str], **more: Any
    ) -> Signature:
        """A layout told by a header of labels: ``read`` returns those labels, or why the file
        has none. The labels are the signature's ``labels``; ``more``, its other fields."""

        def check(head: FileHead) -> str | None:
            found = read(head)
            return found if isinstance(found, str) else None

        def labels(head: FileHead) -> frozenset[str]:
            found = read(head)
            return frozenset() if isinstance(found, str) else frozenset(found)

        return cls(kinds=kinds, check=check, labels=labels, **more)

    def expects(self) -> str:
        return " or ".join(KIND_NAMES[k] for k in sorted(self.kinds))

    def kind_fits(self, head: FileHead) -> bool:
        return head.kind in self.kinds

    def sniff(self, head: FileHead) -> str | None:
        if not self.kind_fits(head):
            return f"expects {self.expects()}; this is {head.kind_name}"
        return self.check(head)


# ---- Statbel's '|'-separated open-data texts (alone or in a zip) ------------------------------


@dataclass(frozen=True)
class StatbelHeader:
    columns: tuple[str, ...]
    lines: tuple[str, ...]  # the first lines, header first
    member: str | None  # the zip member read, None for a bare text


def statbel_header(head: FileHead, member_prefix: str) -> StatbelHeader | str:
    """The `|`-separated header of a Statbel text, or of the zip member the parser would read
    (named ``<member_prefix>*``, else the zip's only text member); a reason when there is none."""
    member = None
    if head.kind == "zip":
        texts = head.text_members
        prefixed = [n for n in texts if PurePosixPath(n).name.upper().startswith(member_prefix.upper())]
        candidates = prefixed or (list(texts) if len(texts) == 1 else [])
        if len(candidates) != 1:
            held = ", ".join(head.members[:4]) or "nothing"
            return f"holds {'several' if candidates else 'no'} {member_prefix}*.txt text(s) (it holds {held})"
        member = candidates[0]
        lines = head.member_lines(member)
    else:
        lines = head.lines
    if not lines:
        return "has no text lines"
    columns = tuple(name.strip() for name in lines[0].split("|"))
    if len(columns) < 2:
        return f"its first line has no '|'-separated columns ({lines[0][:60]!r})"
    return StatbelHeader(columns, lines, member)


def require_columns(header: StatbelHeader, *slots: Sequence[str], what: str) -> str | None:
    """None when the header has, for every slot, one of its names; else which slot is missing."""
    for names in slots:
        if not any(n in header.columns for n in names):
            return f"has no {' or '.join(names)} column, which {what} has"
    return None


def first_field(header: StatbelHeader, column: str) -> str | None:
    """The value of ``column`` on the first data line, or None."""
    if column not in header.columns or len(header.lines) < 2:
        return None
    fields = header.lines[1].split("|")
    position = header.columns.index(column)
    return fields[position].strip() if position < len(fields) else None


# ---- workbooks ------------------------------------------------------------------------------


def find_sheet(head: FileHead, names: Iterable[str]) -> str | None:
    """The workbook's sheet named one of ``names`` (compared loosely), or None."""
    wanted = [normalise_label(n) for n in names]
    found = {normalise_label(n): n for n in head.sheet_names}
    return next((found[w] for w in wanted if w in found), None)


def find_row(rows: Sequence[Sequence[object]], labels: Iterable[str]) -> int | None:
    """The first row holding a cell equal (loosely) to one of ``labels``."""
    wanted = {normalise_label(label) for label in labels}
    for index, row in enumerate(rows):
        if any(normalise_label(cell) in wanted for cell in row):
            return index
    return None


def row_labels(row: Sequence[object]) -> set[str]:
    return {normalise_label(cell) for cell in row} - {""}


_YEAR = re.compile(r"^\s*((?:19|20)\d\d)\s*$")


def year_of(text: object) -> int | None:
    """A year written alone in a cell or field (``2019``, ``'2019'``, ``2019.0``)."""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    match = _YEAR.match(str(text))
    return int(match.group(1)) if match else None
