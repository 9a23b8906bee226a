"""Synthetic `TF_SOC_POP_STRUCT_{year}.zip` files in Statbel's layout (SOURCES.md 4.1).

One `|`-separated UTF-8 text with BOM and CRLF line ends inside a zip; one row per commune x sex
x nationality x civil status x age with at least one resident (absent = nobody). Years before
2025 use the older 22-column layout (`CD_MUNTY_REFNIS` ... `CD_YEAR`), later years the newer
21-column one (`CD_REFNIS` ..., no `CD_YEAR`); each year is on the map then in force.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import cache
from pathlib import Path
from queue import Full, Queue

import numpy as np

from ingestion.geography import map_for_year
from ingestion.sample.files import write_zip_stream
from ingestion.sample.geo import PROVINCE_NAMES, arrondissement_names, map_geography, region_names
from ingestion.sample.model import AGES, CIVIL_STATUSES, NATIONALITIES, SEXES, SampleModel

NEWER_LAYOUT_FROM = 2025
_PLACE_COLUMNS = (
    "CD_DSTR_REFNIS", "TX_ADM_DSTR_DESCR_NL", "TX_ADM_DSTR_DESCR_FR", "CD_PROV_REFNIS", "TX_PROV_DESCR_NL",
    "TX_PROV_DESCR_FR", "CD_RGN_REFNIS", "TX_RGN_DESCR_NL", "TX_RGN_DESCR_FR",
)
_CELL_COLUMNS = (
    "CD_SEX", "CD_NATLTY", "TX_NATLTY_FR", "TX_NATLTY_NL", "CD_CIV_STS", "TX_CIV_STS_FR", "TX_CIV_STS_NL",
    "CD_AGE", "MS_POPULATION",
)
OLDER_COLUMNS: tuple[str, ...] = (
    "CD_MUNTY_REFNIS", "TX_MUNTY_DESCR_NL", "TX_MUNTY_DESCR_FR", *_PLACE_COLUMNS, *_CELL_COLUMNS, "CD_YEAR",
)
NEWER_COLUMNS: tuple[str, ...] = ("CD_REFNIS", "TX_DESCR_NL", "TX_DESCR_FR", *_PLACE_COLUMNS, *_CELL_COLUMNS)
_NATIONALITY_TEXT = {"BEL": ("Belges", "Belgen"), "ETR": ("Etrangers", "Vreemdelingen")}
_CIVIL_TEXT = {
    "10": ("Célibataire", "Ongehuwd"),
    "20": ("Marié", "Gehuwd"),
    "30": ("Veuf", "Weduwstaat"),
    "40": ("Divorcé", "Gescheiden"),
}
# Level 1 is enough: the text is extremely repetitive, and level 6 is four times slower.
_ZIP_LEVEL = 1
_KEY_BASE = 10_000_000  # larger than any cell count


def population_file_name(year: int) -> str:
    return f"TF_SOC_POP_STRUCT_{year}.zip"


@cache
def commune_place_fields(vintage: int) -> tuple[str, ...]:
    """Per commune of the map: code, NL and FR names and its place in the hierarchy, `|`-joined
    (Brussels' province fields empty, as Statbel publishes them)."""
    geo = map_geography(vintage)
    arrondissements = arrondissement_names(vintage)
    out = []
    for row in geo.communes.itertuples():
        province = row.province_code
        province_nl, province_fr = PROVINCE_NAMES[province] if province else ("", "")
        fields = (
            row.nis_code, row.name_nl, row.name_fr,
            row.arrondissement_code, *arrondissements[row.arrondissement_code],
            province, province_nl, province_fr,
            row.region_code, *region_names(row.region_code),
        )
        out.append("|".join(fields))
    return tuple(out)


def population_text(model: SampleModel, year: int) -> bytes:
    """The text member for ``year``: header and rows, UTF-8 with BOM, CRLF."""
    return b"".join(population_chunks(model, year))


# Bytes of text handed to the zip writer at a time: small enough never to hold a year's 110 MB.
_CHUNK_BYTES = 1 << 20


def population_chunks(model: SampleModel, year: int) -> Iterator[bytes]:
    """:func:`population_text` in consecutive pieces of about a megabyte."""
    vintage = map_for_year(year)
    geo = map_geography(vintage)
    cells = geo.aggregate(model.cells(year))  # (commune, sex, nat, civil, age)
    newer = year >= NEWER_LAYOUT_FROM
    header = "|".join(NEWER_COLUMNS if newer else OLDER_COLUMNS)
    suffix = b"\r\n" if newer else f"|{year}\r\n".encode()
    yield b"\xef\xbb\xbf" + header.encode() + b"\r\n"

    # Rows differ only in a few fields: a (commune, sex, nationality, civil status) block prefix
    # and an "age|count" tail. Each block is written as prefix + prefix.join(tails), in bytes,
    # which is several times faster than formatting and encoding 500,000 rows one by one.
    blocks = []
    for place in commune_place_fields(vintage):
        for sex in SEXES:
            for nat in NATIONALITIES:
                for civil in CIVIL_STATUSES:
                    text = "|".join((place, sex, nat, *_NATIONALITY_TEXT[nat], civil, *_CIVIL_TEXT[civil]))
                    blocks.append(f"{text}|".encode())
    flat = cells.reshape(-1)
    present = np.flatnonzero(flat)
    block = present // len(AGES)
    key = (present % len(AGES)) * _KEY_BASE + flat[present]  # (age, count) pairs repeat a lot
    pairs, inverse = np.unique(key, return_inverse=True)
    tail_of_pair = np.array(
        [f"{k // _KEY_BASE}|{k % _KEY_BASE}".encode() + suffix for k in pairs.tolist()], dtype=object
    )
    tails = tail_of_pair[inverse].tolist()
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    ends = np.r_[starts[1:], len(block)]
    pieces, size = [], 0
    for b, s, e in zip(block[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
        piece = blocks[b] + blocks[b].join(tails[s:e])
        pieces.append(piece)
        size += len(piece)
        if size >= _CHUNK_BYTES:
            yield b"".join(pieces)
            pieces, size = [], 0
    if pieces:
        yield b"".join(pieces)


def write_population(model: SampleModel, out_dir: Path) -> list[Path]:
    """One zip per year ``first_year..last_year``.

    The text goes to a worker thread in pieces of about a megabyte, which it compresses (zlib
    releases the GIL) while the next pieces are built: a year's 110 MB text is never held whole,
    so memory stays small and is not handed back and faulted in again for every year.
    """
    paths, writes = [], []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for year in range(model.first_year, model.last_year + 1):
            path = out_dir / population_file_name(year)
            pieces: Queue[bytes | None] = Queue(maxsize=16)
            writing = pool.submit(
                write_zip_stream, path, f"TF_SOC_POP_STRUCT_{year}.txt", iter(pieces.get, None), level=_ZIP_LEVEL
            )
            writes.append(writing)
            try:
                for chunk in population_chunks(model, year):
                    _put(pieces, chunk, writing)
            except BaseException:
                _put(pieces, None, writing)  # let the writer end, then take its half-written file away
                wait([writing])
                path.unlink(missing_ok=True)
                raise
            _put(pieces, None, writing)  # the member is complete
            paths.append(path)
        for writing in writes:
            writing.result()
    return paths


def _put(pieces: Queue, chunk: bytes | None, writing: Future) -> None:
    """Hand ``chunk`` to the writer; if the writer failed, its error is raised here, not waited on."""
    while True:
        try:
            pieces.put(chunk, timeout=0.2)
            return
        except Full:
            if writing.done():
                writing.result()
