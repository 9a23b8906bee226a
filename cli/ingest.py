"""`cohesion fetch` and `cohesion parse`: bring publisher files into the archive, and check one
file (parse it, optionally harmonise it onto the 565 map, see its totals) before loading it.

:func:`register` adds both subcommands to the `cohesion` argparse parser. Each command returns
its exit code: 0 done, 1 some file failed to download (fetch), 2 a user error (unknown dataset,
a file that is not what the catalog expects, a parse error), with one line on stderr naming the
dataset, the file and, when known, the row and column. A file that matches no layout gets, after
that line, one line per layout saying why it is not that layout.

`cohesion parse FILE` recognises the file by its content (ingestion/recognise.py) and says what
it is; `cohesion parse DATASET FILE` also checks it is a file of DATASET.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestion.catalog import Catalog, FileSpec, load_catalog
from ingestion.errors import CatalogError, CohesionError, RecognitionError, UnmatchedFileError

if TYPE_CHECKING:  # pandas and the parsers load in seconds; `cohesion --help` should not wait
    import pandas as pd

    from ingestion.harmonise_sql import HarmoniseReport
    from ingestion.recognise import Recognition
    from ingestion.summary import ParseSummary

OUT_SUFFIXES: tuple[str, ...] = (".parquet", ".csv")


@dataclass(frozen=True)
class ResolvedFile:
    """A user's file and the catalog entry that says how to read it."""

    dataset: str
    path: Path
    spec: FileSpec
    year: int | None
    map_vintage: int | None  # declared by the catalog for a per-year file, else None (the parser detects it)
    recognition: Recognition | None = field(default=None, compare=False)

    def recognised(self) -> str:
        """How the file was recognised, for the text and JSON outputs."""
        found = self.recognition
        if found is None:
            return ""
        if found.basis != "content":
            return (
                f"recognised by its {found.basis} only (its content does not have the signature of layout "
                f"{found.layout}: {found.content_reason()})"
            )
        year = f", year {found.year} from {found.year_from}" if found.year is not None else ""
        return f"recognised by its content{year}"


@dataclass(frozen=True)
class ParsedFile:
    file: ResolvedFile
    sha256: str
    frame: pd.DataFrame = field(repr=False, compare=False)  # harmonised when harmonise=True
    summary: ParseSummary  # the file as parsed
    harmonised: ParseSummary | None = None  # after harmonisation
    report: HarmoniseReport | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.file.dataset,
            "file": self.file.path.name,
            "path": str(self.file.path),
            "file_id": self.file.spec.id,
            "layout": self.file.spec.layout,
            "year": self.file.year,
            "declared_map": self.file.map_vintage,
            "recognised": self.file.recognised(),
            "sha256": self.sha256,
            "summary": self.summary.as_dict(),
            "harmonised": None
            if self.harmonised is None or self.report is None
            else {"summary": self.harmonised.as_dict(), "report": self.report.as_dict()},
        }

    def text(self) -> str:
        spec, year = self.file.spec, self.file.year
        facts = [f"layout {spec.layout}"]
        if year is not None:
            facts.append(f"year {year}")
        if self.file.map_vintage is not None:
            facts.append(f"map {self.file.map_vintage} per the catalog")
        facts.append(f"sha256 {self.sha256[:12]}")
        lines = [f"{spec.label}: {self.file.path.name} ({', '.join(facts)})"]
        if self.file.recognised():
            lines.append(self.file.recognised())
        lines.append(self.summary.text())
        if self.harmonised is not None and self.report is not None:
            lines += [*self.report.lines(), self.harmonised.text()]
        return "\n".join(lines)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `fetch` and `parse` to the `cohesion` command's subparsers."""
    fetch = subparsers.add_parser(
        "fetch",
        help="download new publisher releases into the raw archive (or archive files from a folder)",
        description="Archive the catalog's files: from the publishers (conditional requests), from a "
        "folder of hand-downloaded files (--source-dir), or report what the archive holds (--offline).",
    )
    fetch.add_argument("--dataset", metavar="ID", help="only this dataset (default: every dataset)")
    fetch.add_argument("--year", type=int, metavar="Y", help="only the files of this year (default: every year)")
    origin = fetch.add_mutually_exclusive_group()
    origin.add_argument("--offline", action="store_true", help="touch no network: report what the archive holds")
    origin.add_argument(
        "--source-dir", metavar="DIR",
        help="archive the files found in DIR, recognised by their content (default: download from the publishers)",
    )
    fetch.set_defaults(func=cmd_fetch)

    parse = subparsers.add_parser(
        "parse",
        help="recognise and parse one publisher file and print what it holds (nothing is loaded)",
        description="Recognise FILE by its content (or, with ID, check it is a file of dataset ID), parse it "
        "and print its rows, communes, periods and totals; optionally harmonise it onto the 565-commune map "
        "and write the result. A file that matches no layout is explained layout by layout.",
    )
    parse.add_argument(
        "dataset", metavar="ID", nargs="?", default=None,
        help="dataset id from the catalog (statbel_population, ...); optional: the content says it",
    )
    parse.add_argument("file", metavar="FILE", help="the publisher's file")
    parse.add_argument("--year", type=int, metavar="Y", help="the data year, when the file name does not say it (default: read from the file)")
    parse.add_argument("--harmonise", action="store_true", help="also move the rows onto the 565-commune map")
    parse.add_argument("--out", metavar="FILE", help="write the (harmonised) rows to FILE.parquet or FILE.csv (default: print a summary only)")
    parse.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parse.set_defaults(func=cmd_parse)


# ---- fetch -------------------------------------------------------------------------------


def cmd_fetch(args: argparse.Namespace) -> int:
    from ingestion.archive import RawArchive
    from ingestion.fetch import fetch
    from ingestion.settings import paths

    try:
        report = fetch(
            load_catalog(),
            RawArchive(paths().raw),
            dataset=args.dataset,
            year=args.year,
            mode="offline" if args.offline else "online",
            source_dir=args.source_dir,
        )
    except CohesionError as exc:
        return _fail("fetch", exc)
    print(report.summary())
    for item in report.failed:
        print(f"cohesion fetch: {_one_line(item.line())}", file=sys.stderr)
    return 1 if report.failed else 0


# ---- parse -------------------------------------------------------------------------------


def resolve_file(catalog: Catalog, dataset_id: str | None, path: Path, year: int | None = None) -> ResolvedFile:
    """The catalog entry for the file at ``path``, recognised by its content (the name is a hint;
    with ``dataset_id``, a file of that dataset only).

    Raises :class:`CatalogError` for an unknown dataset or a file of another dataset,
    :class:`~ingestion.errors.UnmatchedFileError` for a file that matches no layout, and
    :class:`~ingestion.errors.RecognitionError` for two layouts or entries, or years that disagree.
    """
    from ingestion.recognise import recognise

    if dataset_id is not None:
        catalog.dataset(dataset_id)  # an unknown id fails here, listing the known ones
    where = f"dataset {dataset_id}, file {path.name}" if dataset_id else f"file {path.name}"
    try:
        found = recognise(path, catalog, dataset=dataset_id, year=year)
    except RecognitionError as exc:
        # The same error, its message starting with the dataset and file it is about.
        raise type(exc)(where, exc.problem, verdicts=exc.verdicts, kind=exc.kind) from exc
    if dataset_id is not None and found.dataset != dataset_id:
        raise CatalogError(
            f"{where}: this is a file of dataset {found.dataset} ({found.spec.label}), not of {dataset_id}; "
            f"run: cohesion parse {found.dataset} {shlex.quote(str(path))}"
        )
    spec = found.spec
    declared = spec.map_vintage_for(found.year) if spec.per_year and found.year is not None else None
    return ResolvedFile(found.dataset, path, spec, found.year, declared, found)


def parse_file(
    dataset_id: str | None,
    path: str | Path,
    *,
    year: int | None = None,
    harmonise: bool = False,
    catalog: Catalog | None = None,
    resolved: ResolvedFile | None = None,
) -> ParsedFile:
    """Parse one file as the catalog says, summarise it, and optionally harmonise it
    (``resolved``: the file already recognised)."""
    from ingestion.files import sha256_of
    from ingestion.harmonise_sql import harmonise_frame
    from ingestion.parsers import parser_for
    from ingestion.summary import summarise

    path = Path(path)
    if not path.is_file():
        where = f"dataset {dataset_id}, file {path}" if dataset_id else f"file {path}"
        raise FileNotFoundError(f"{where}: no such file")
    resolved = resolved or resolve_file(catalog or load_catalog(), dataset_id, path, year)
    parse = parser_for(resolved.spec.layout)
    sha256 = sha256_of(path)
    frame = parse(path, dataset=resolved.dataset, sha256=sha256, year=resolved.year, map_vintage=resolved.map_vintage)
    summary = summarise(frame)
    if not harmonise:
        return ParsedFile(resolved, sha256, frame, summary)
    harmonised, report = harmonise_frame(frame)
    return ParsedFile(resolved, sha256, harmonised, summary, summarise(harmonised), report)


def write_frame(frame: pd.DataFrame, out: Path) -> None:
    """Write ``frame`` to ``out`` (.parquet or .csv) via a temporary file: a reader never sees half a file."""
    suffix = out.suffix.lower()
    if suffix not in OUT_SUFFIXES:
        raise ValueError(f"--out must end in {' or '.join(OUT_SUFFIXES)}, found {out.name!r}")
    temp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.part")
    try:
        if suffix == ".parquet":
            frame.to_parquet(temp, index=False)
        else:
            frame.to_csv(temp, index=False)
        os.replace(temp, out)
    except OSError as exc:
        raise OSError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        temp.unlink(missing_ok=True)


def cmd_parse(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in OUT_SUFFIXES:
        return _fail("parse", f"--out must end in {' or '.join(OUT_SUFFIXES)}, found {out.name!r}")
    if out is not None and not out.parent.is_dir():
        # Checked before parsing: a large file should not be parsed for nothing.
        return _fail("parse", f"cannot write {out}: the folder {out.parent} does not exist")
    from ingestion.parsers import reference_layouts

    path = Path(args.file)
    try:
        if not path.is_file():
            where = f"dataset {args.dataset}, file {path}" if args.dataset else f"file {path}"
            raise FileNotFoundError(f"{where}: no such file")
        resolved = resolve_file(load_catalog(), args.dataset, path, args.year)
        if resolved.spec.layout in reference_layouts():
            reference = _reference_file(resolved)
            print(json.dumps(reference, ensure_ascii=False) if args.json else _reference_text(reference))
            return 0
        parsed = parse_file(args.dataset, path, year=args.year, harmonise=args.harmonise, resolved=resolved)
        if out is not None:
            write_frame(parsed.frame, out)
    except UnmatchedFileError as exc:
        return _fail("parse", exc, details=_verdict_lines(exc))
    except (CohesionError, OSError) as exc:
        return _fail("parse", exc)
    if args.json:
        document = parsed.as_dict()
        document["out"] = str(out) if out is not None else None
        print(json.dumps(document, ensure_ascii=False))
    else:
        print(parsed.text())
        if out is not None:
            print(f"written: {out} ({len(parsed.frame):,} rows)")
    return 0


def _reference_file(resolved: ResolvedFile) -> dict[str, Any]:
    """A reference table (REFNIS list, crosswalk) is not parsed into measures: what it is, and
    how many rows it holds."""
    from ingestion.files import sha256_of
    from ingestion.parsers import reference_layouts

    path, spec = resolved.path, resolved.spec
    rows = len(reference_layouts()[spec.layout](path, dataset=resolved.dataset))
    return {
        "dataset": resolved.dataset, "file": path.name, "file_id": spec.id, "layout": spec.layout,
        "recognised": resolved.recognised(), "sha256": sha256_of(path), "reference_rows": rows,
    }


def _reference_text(reference: dict[str, Any]) -> str:
    return (
        f"{reference['dataset']}/{reference['file_id']}: {reference['file']} (layout {reference['layout']}, "
        f"sha256 {reference['sha256'][:12]})\n{reference['recognised']}\n"
        "a reference table (the geography seeds are checked against it; no measures are loaded): "
        f"{reference['reference_rows']:,} rows"
    )


def _verdict_lines(error: UnmatchedFileError) -> list[str]:
    """Every layout's reason, the layouts that read this kind of file first."""
    return [f"  {v.line()}" for v in sorted(error.verdicts, key=lambda v: (v.other_kind, v.layout))]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(command: str, problem: object, details: list[str] | None = None) -> int:
    print(f"cohesion {command}: {_one_line(str(problem))}", file=sys.stderr)
    for line in details or ():
        print(line, file=sys.stderr)
    return 2
