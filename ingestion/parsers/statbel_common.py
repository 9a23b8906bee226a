"""What every Statbel parser shares: the open-data text container (zip or text, UTF-8 checked),
workbook sheets, cell values, header paths, commune selection on a declared map, whole-number and
negative-count checks, the measure registry. The layouts themselves live in their own modules
(statbel_population, statbel_income, statbel_real_estate, statbel_refnis, statbel_pop_totals).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import python_calamine

from ingestion import geography
from ingestion.errors import ParseError
from ingestion.labels import normalise_label
from ingestion.reference import measure_units, seed_path

_BOM = b"\xef\xbb\xbf"
_UTF8_CHUNK = 1 << 24
_ZIP_CHUNK = 1 << 20
# Cells that mean "hidden by the publisher" in Statbel tables: `*` (confidential) or nothing.
SUPPRESSED_MARKERS: frozenset[str] = frozenset({"*", ""})


# --------------------------------------------------------------------------------------------
# Shared by the Statbel parsers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatbelText:
    """A Statbel open-data table: one `|`-separated UTF-8 text (often the only member of a zip).

    ``raw`` holds the bytes as read, the text starting at ``start`` (after the BOM);
    :meth:`row_numbers` says which line of the text each data row comes from, for messages.
    """

    dataset: str
    file: str
    member: str
    header: tuple[str, ...]
    raw: bytes = field(repr=False)
    start: int = 0

    @cached_property
    def data(self) -> bytes:
        """The bytes after the BOM (a copy: the table itself is read from ``raw`` in place)."""
        return self.raw[self.start:]

    def require(self, *alternatives: Sequence[str], expected: str) -> list[str]:
        """The header names to read: for each slot, the first alternative the header has.

        A slot none of whose names is in the header is a :class:`ParseError` naming the column
        (its first alternative) and listing the columns found.
        """
        chosen = []
        for names in alternatives:
            hit = next((n for n in names if n in self.header), None)
            if hit is None:
                raise ParseError(
                    self.dataset,
                    self.file,
                    f"column is missing (expected {expected}; found {', '.join(self.header)})",
                    column=" or ".join(names),
                )
            chosen.append(hit)
        return chosen

    def columns(self, names: Sequence[str]) -> pd.DataFrame:
        """Read only ``names``, every value as stripped text (codes keep their leading zeros)."""
        return self.table(names).to_pandas()

    def table(self, names: Sequence[str]) -> pa.Table:
        """:meth:`columns` as an Arrow table, for parsers that work on the columns without pandas."""
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(self.raw)[self.start:]),
                # One thread: as fast on two cores, half the processor time, and no warm-up of
                # Arrow's thread pool (about 1 s of processor time on the first read of a process).
                read_options=pacsv.ReadOptions(column_names=list(self.header), skip_rows=1, use_threads=False),
                # Statbel never quotes; a stray `"` in a name must not start a quoted field.
                parse_options=pacsv.ParseOptions(delimiter="|", quote_char=False),
                convert_options=pacsv.ConvertOptions(
                    include_columns=list(names),
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            line, found = self._first_ragged_line()
            if line is None:
                raise ParseError(self.dataset, self.file, f"unreadable table: {exc}") from exc
            raise ParseError(
                self.dataset,
                self.file,
                f"expected {len(self.header)} '|'-separated fields as in the header, found {found}",
                row=line,
            ) from exc
        if table.num_rows == 0:
            raise ParseError(self.dataset, self.file, "the table has a header but no data rows")
        # pandas' str.strip() is this same Arrow kernel: the values are those the frame had.
        return pa.table({name: pc.utf8_trim_whitespace(table[name]) for name in names})

    def row_numbers(self, frame: pd.DataFrame) -> pd.Series:
        """Per data row of ``frame`` (as read by :meth:`columns`), its line in the text
        (header = line 1); blank lines, which the reader skips, are counted."""
        if b"\n\n" not in self.data and b"\n\r\n" not in self.data:
            return pd.Series(np.arange(len(frame)) + 2, index=frame.index)
        lines = self.data.split(b"\n")[1:]
        numbers = [number for number, line in enumerate(lines, start=2) if line.strip(b"\r")]
        return pd.Series(numbers[: len(frame)], index=frame.index)

    def _first_ragged_line(self) -> tuple[int | None, int]:
        width = len(self.header)
        for number, line in enumerate(self.data.split(b"\n"), start=1):
            line = line.rstrip(b"\r")
            if line and line.count(b"|") + 1 != width:
                return number, line.count(b"|") + 1
        return None, width


def read_statbel_text(path: Path, *, dataset: str, member_prefix: str) -> StatbelText:
    """Open a Statbel `.txt` (or the one matching `.txt` member of a `.zip`) and check its
    encoding (UTF-8, BOM optional) and delimiter (`|`); no data is parsed yet."""
    path = Path(path)
    file = path.name
    raw, member = _read_container(path, dataset=dataset, member_prefix=member_prefix)
    # The BOM is skipped, not sliced off: slicing would copy a 100 MB text once more.
    start = len(_BOM) if raw.startswith(_BOM) else 0
    # (isspace is False at the first other byte: only a text starting blank is copied to be looked at)
    if len(raw) == start or (raw[start : start + 1].isspace() and raw[start:].isspace()):
        raise ParseError(dataset, file, f"{_where(member, file)}is empty; expected a '|'-separated Statbel table")
    _check_utf8(raw, start, dataset=dataset, file=file)
    first_newline = raw.find(b"\n", start)
    header_line = raw[start : first_newline if first_newline >= 0 else len(raw)].rstrip(b"\r").decode("utf-8")
    header = tuple(name.strip() for name in header_line.split("|"))
    if len(header) < 2:
        others = [repr(d) for d in (";", ",", "\t") if d in header_line]
        hint = f" but {' and '.join(others)}" if others else ""
        raise ParseError(
            dataset,
            file,
            f"expected '|' between columns; the header line has no '|'{hint}: {header_line[:80]!r}",
            row=1,
        )
    if len(set(header)) != len(header):
        twice = sorted({n for n in header if header.count(n) > 1})
        raise ParseError(dataset, file, f"the header repeats column(s) {twice}", row=1)
    return StatbelText(dataset=dataset, file=file, member=member, header=header, raw=raw, start=start)


def _where(member: str, file: str) -> str:
    return f"zip member {member} " if member != file else ""


def _read_container(path: Path, *, dataset: str, member_prefix: str) -> tuple[bytes, str]:
    file = path.name
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ParseError(dataset, file, f"cannot be opened: {exc.strerror or exc}") from exc
    if path.suffix.lower() != ".zip" and magic != b"PK\x03\x04":
        return path.read_bytes(), file
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if "[Content_Types].xml" in names:
                raise ParseError(
                    dataset, file, "is an Excel workbook; this layout reads Statbel's '|'-separated txt or its zip"
                )
            texts = [n for n in names if n.lower().endswith((".txt", ".csv"))]
            prefixed = [n for n in texts if Path(n).name.upper().startswith(member_prefix.upper())]
            candidates = prefixed or (texts if len(texts) == 1 else [])
            if len(candidates) != 1:
                problem = "several" if len(candidates) > 1 else "no"
                raise ParseError(
                    dataset,
                    file,
                    f"zip holds {problem} {member_prefix}*.txt member(s); found {names or 'no members'}",
                )
            member = candidates[0]
            return _decompressed(archive, member), Path(member).name
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ParseError(
            dataset, file, f"is not a readable zip archive (truncated or corrupt: {exc}); download it again"
        ) from exc


def _decompressed(archive: zipfile.ZipFile, member: str) -> bytearray:
    """The member's bytes, decompressed into one buffer of its declared size. zipfile's read()
    grows its result as it goes and peaked at twice the text (about 100 MB more for a population
    year). The stream still checks the CRC at its end."""
    info = archive.getinfo(member)
    data = bytearray(info.file_size)
    filled = 0
    with archive.open(info) as stream:
        while chunk := stream.read(_ZIP_CHUNK):
            data[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
    del data[filled:]
    return data


def _check_utf8(raw: bytes, start: int, *, dataset: str, file: str) -> None:
    """Fail on the first byte of ``raw[start:]`` that is not UTF-8, naming its line.

    Decoded in line-aligned chunks so a 100 MB file never sits in memory twice as text.
    """
    if _is_utf8(raw, start):
        return  # the common case, checked by Arrow in a fraction of the time; the loop finds the line
    raw = raw[start:]
    start = 0
    while start < len(raw):
        end = raw.find(b"\n", min(start + _UTF8_CHUNK, len(raw)))
        end = len(raw) if end < 0 else end + 1
        try:
            raw[start:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            offset = start + exc.start
            line = raw.count(b"\n", 0, offset) + 1
            bad = bytes(raw[offset : offset + max(1, exc.end - exc.start)])
            raise ParseError(
                dataset,
                file,
                f"byte {bad!r} is not UTF-8; Statbel publishes UTF-8 (with BOM), and this file looks "
                "re-saved as latin-1/cp1252: take the publisher's original",
                row=line,
            ) from exc
        start = end


def _is_utf8(raw: bytes, start: int = 0) -> bool:
    """Whether ``raw[start:]`` is valid UTF-8, as Python's strict decoder judges it (Arrow's
    validator rejects the same overlong forms, surrogates and code points above U+10FFFF), without
    decoding or copying it."""
    offsets = pa.py_buffer(np.array([start, len(raw)], dtype=np.int64))
    text = pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(raw))
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def read_sheet(path: Path, *, dataset: str, sheet_names: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """The first sheet of a workbook (.xls or .xlsx) whose name is one of ``sheet_names``, every
    cell as found (empty cells NaN); frame row ``i`` is the sheet's row ``i + 1``.

    Read with python-calamine directly: twice as fast as through pandas, which converts cell
    by cell in Python.
    """
    file = Path(path).name
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every broken file
        raise ParseError(dataset, file, f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})") from exc
    wanted = [normalise_label(n) for n in sheet_names]
    found = {normalise_label(n): n for n in book.sheet_names}
    sheet = next((found[w] for w in wanted if w in found), None)
    if sheet is None:
        raise ParseError(
            dataset, file, f"no sheet named {' or '.join(map(repr, sheet_names))}; found sheets {book.sheet_names}"
        )
    try:
        cells = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:
        raise ParseError(dataset, file, f"sheet {sheet!r} cannot be read ({type(exc).__name__}: {exc})") from exc
    frame = pd.DataFrame(cells, dtype=object)
    if frame.empty:
        raise ParseError(dataset, file, f"sheet {sheet!r} is empty")
    return frame.mask(frame.eq("")), sheet


def cell_text(cells: pd.Series) -> pd.Series:
    """Cells as stripped text: numbers stored as floats lose their ``.0``, blanks become ``""``."""

    def one(value: object) -> str:
        if type(value) is str:
            return value.strip()
        if _is_blank(value):
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    return pd.Series([one(v) for v in cells.to_numpy(dtype=object)], index=cells.index, dtype=object)


def header_paths(frame: pd.DataFrame, group_row: int, field_row: int) -> list[tuple[str, ...]]:
    """Per column, its normalised (group, field) header with blanks left out.

    A group label is written once over a merged block; it carries to the right over columns
    that have a field label, until a column blank in both rows (a separator) ends the block.
    """
    paths: list[tuple[str, ...]] = []
    group = ""
    for column in frame.columns:
        own_group = normalise_label(frame.at[group_row, column])
        own_field = normalise_label(frame.at[field_row, column]) if field_row != group_row else ""
        if own_group:
            group = own_group
        elif not own_field:
            group = ""
        paths.append(tuple(p for p in ((own_group or (group if own_field else "")), own_field) if p))
    return paths


def find_columns(
    paths: Sequence[tuple[str, ...]],
    aliases: Mapping[str, Sequence[Sequence[str]]],
    *,
    dataset: str,
    file: str,
    header_row: int,
) -> dict[str, int]:
    """Position of each wanted column: the one whose header path ends with one of its aliases.

    Missing or ambiguous columns are errors naming the column (its first alias).
    """
    found: dict[str, int] = {}
    for key, options in aliases.items():
        wanted = [tuple(normalise_label(p) for p in option) for option in options]
        hits = sorted(
            {i for i, path in enumerate(paths) for option in wanted if path[-len(option):] == option}
        )
        label = " / ".join(str(p) for p in options[0])
        if not hits:
            raise ParseError(
                dataset, file, "header not found (searched by its text, in any position)", row=header_row, column=label
            )
        if len(hits) > 1:
            raise ParseError(
                dataset, file, f"header matches {len(hits)} columns {hits}; expected one", row=header_row, column=label
            )
        found[key] = hits[0]
    return found


def refnis_code(cell: object, row: int, *, dataset: str, file: str, column: str) -> str:
    """A workbook's REFNIS cell as 5-character text: workbooks often store codes as numbers
    (``1000.0`` is 01000); pseudo codes (3001, 9999, 103...) keep their own length."""
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        text = str(int(cell)) if float(cell).is_integer() else str(cell)
    else:
        text = str(cell).strip()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
    if not text.isdigit() or len(text) > 5:
        raise ParseError(dataset, file, f"expected a REFNIS code, found {cell!r}", row=row, column=column)
    return text if geography.is_pseudo_code(text) else text.zfill(5)


@dataclass(frozen=True)
class CommuneSelection:
    """The commune rows of a table, the map they are on, and what was dropped."""

    rows: pd.DataFrame
    map_vintage: int
    dropped: Mapping[str, int]


def select_communes(
    frame: pd.DataFrame,
    *,
    code_column: str,
    row_numbers: pd.Series,
    dataset: str,
    file: str,
    map_vintage: int | None,
    column_label: str | None = None,
    row_counts: np.ndarray | None = None,
) -> CommuneSelection:
    """Drop totals rows and pseudo codes, then check or detect the commune map.

    ``row_numbers`` gives, per row of ``frame``, the row a user finds in the file, and
    ``column_label`` the code column's name in the file (both for messages). A code of the
    declared map that is not one of its communes is an error. ``row_counts``: how many rows of
    the file each row of ``frame`` stands for, when ``frame`` holds each code once (the dropped
    counts are of the file's rows).
    """
    label = column_label or code_column
    codes = frame[code_column].astype(str)
    unique = pd.unique(codes)
    malformed = [c for c in unique if not re.fullmatch(r"\d{5}", c) and not geography.is_pseudo_code(c)]
    if malformed:
        first = int(np.flatnonzero(codes.to_numpy() == malformed[0])[0])
        raise ParseError(
            dataset,
            file,
            f"{malformed[0]!r} is not a 5-digit REFNIS code",
            row=int(row_numbers.iloc[first]),
            column=label,
        )
    pseudo = {c for c in unique if geography.is_pseudo_code(c)}
    totals = {c for c in unique if c not in pseudo and geography.is_aggregate_code(c)}
    is_pseudo = codes.isin(pseudo)
    is_total = codes.isin(totals)
    keep = ~(is_pseudo | is_total)
    communes = codes[keep]
    if map_vintage is None:
        map_vintage = geography.detect_map_vintage(pd.unique(communes), dataset=dataset, file=file)
    elif map_vintage not in geography.MAPS:
        raise ParseError(dataset, file, f"map vintage {map_vintage} is not one of {list(geography.MAPS)}")
    else:
        valid = geography.map_codes(map_vintage)
        outside = ~communes.isin(valid)
        if outside.any():
            bad = sorted(set(communes[outside]))
            first = communes[outside].index[0]
            raise ParseError(
                dataset,
                file,
                f"code {communes[first]} is not a commune of the {map_vintage}-commune map "
                f"({len(bad)} such code(s): {', '.join(bad[:10])})",
                row=int(row_numbers.loc[first]),
                column=label,
            )
    return CommuneSelection(
        rows=frame[keep],
        map_vintage=int(map_vintage),
        dropped={
            "totals_rows": int(is_total.sum() if row_counts is None else row_counts[is_total.to_numpy()].sum()),
            "pseudo_codes": int(is_pseudo.sum() if row_counts is None else row_counts[is_pseudo.to_numpy()].sum()),
        },
    )


def refuse_first(
    bad: pd.Series | np.ndarray, found: pd.Series, expected: str, *, rows: pd.Series, dataset: str, file: str,
    column: str,
) -> None:
    """A :class:`ParseError` at the first cell where ``bad`` holds (NA counts as bad): "expected
    ``expected``, found <that cell of ``found``>", with its row (``rows``) and ``column``.

    One message for every parser, so that a user reads the same sentence for the same mistake.
    """
    mask = bad.fillna(True).to_numpy(dtype=bool) if isinstance(bad, pd.Series) else np.asarray(bad, dtype=bool)
    if mask.any():
        first = int(np.flatnonzero(mask)[0])
        raise ParseError(
            dataset,
            file,
            f"expected {expected}, found {found.iloc[first]!r}",
            row=int(rows.iloc[first]),
            column=str(column),
        )


def parse_cells(
    cells: pd.Series, *, row_numbers: pd.Series, dataset: str, file: str, column: str
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of one column and where they are suppressed (`*` or an empty cell).

    Accepts text cells (txt files) and numeric cells (workbooks); anything else is an error
    naming the row, the column and the value found.
    """
    values = pd.to_numeric(cells.astype(object), errors="coerce").to_numpy(dtype=float)
    gaps = np.flatnonzero(np.isnan(values))
    suppressed = np.zeros(len(values), dtype=bool)
    gap_cells = cells.to_numpy(dtype=object)[gaps]
    blank = pd.isna(gap_cells)
    suppressed[gaps[blank]] = True
    # Only the few non-numeric, non-blank cells are looked at one by one.
    for position, cell in zip(gaps[~blank], gap_cells[~blank], strict=True):
        suppressed[position] = isinstance(cell, str) and cell.strip() in SUPPRESSED_MARKERS
    refuse_first(
        ~suppressed & np.isnan(values), cells, "a number or '*'", rows=row_numbers, dataset=dataset, file=file,
        column=column,
    )
    return values, suppressed


def refuse_negative_counts(
    values: np.ndarray, codes: Sequence[str] | np.ndarray, row_numbers: pd.Series, *, dataset: str, file: str,
    column: str, summed_into: str,
) -> None:
    """A count cell below 0 is an error naming the row, column, commune and value.

    Checked on the cells themselves, before they are added up: summed into a commune's totals,
    one negative cell only lowers them, and every check on the totals still passes.
    """
    negative = values < 0  # NaN (suppressed) compares False
    if negative.any():
        first = int(np.flatnonzero(negative)[0])
        raise ParseError(
            dataset,
            file,
            f"commune {codes[first]}: a count cannot be negative, found {values[first]:g} "
            f"({int(negative.sum())} negative cell(s); they are summed into {summed_into}, which they would lower silently)",
            row=int(row_numbers.iloc[first]),
            column=column,
        )


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell is pd.NA


def long_rows(
    nis_code: np.ndarray,
    period: np.ndarray,
    measures: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    dataset: str,
) -> pd.DataFrame:
    """Canonical rows (before :func:`make_frame`) from one value and one suppression array per
    measure, all aligned on ``nis_code`` and ``period``."""
    units = measure_units(dataset)
    for measure in measures:
        if measure not in units:
            raise LookupError(f"measure {measure!r} of dataset {dataset} is missing from {seed_path('measures').name}")
    n = len(nis_code)
    names = list(measures)
    # Built as Arrow columns: each distinct text once, then taken per row in C (as Python objects,
    # 700,000 rows of a real-estate workbook took a second to become pandas' Arrow strings).
    rows = np.tile(np.arange(n, dtype=np.int64), len(names))
    measure_index = pa.array(np.repeat(np.arange(len(names), dtype=np.int32), n))
    values = np.concatenate([np.where(s, np.nan, v) for v, s in measures.values()]) if names else np.array([])
    suppressed = np.concatenate([s for _, s in measures.values()]) if names else np.array([], dtype=bool)
    return pa.table(
        {
            "nis_code": _texts(nis_code).take(rows),
            "period": _texts(period).take(rows),
            "measure": _decoded(measure_index, names),
            "value": pa.array(values, pa.float64()),
            "unit": _decoded(measure_index, [units[m] for m in names]),
            "status": _decoded(pa.array(suppressed.astype(np.int32)), ["published", "suppressed"]),
        }
    ).to_pandas()


def _texts(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object), pa.large_string())


def _decoded(indices: pa.Array, texts: Sequence[str]) -> pa.Array:
    """Per index its text, as a plain text column."""
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(texts), pa.large_string())).cast(pa.large_string())


def check_declared_year(
    found: int, declared: Mapping[str, int | None], *, dataset: str, file: str, found_where: str
) -> None:
    """Every declared year (file name, catalog) must equal the file's own year."""
    for source, year in declared.items():
        if year is not None and year != found:
            raise ParseError(dataset, file, f"the {source} says {year} but {found_where} says {found}")


def year_in_name(name: str, prefix: str) -> int | None:
    match = re.search(rf"{re.escape(prefix)}_?((?:19|20)\d\d)(?!\d)", name, flags=re.IGNORECASE)
    return int(match.group(1)) if match else None
