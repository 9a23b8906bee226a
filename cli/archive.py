"""`cohesion archive list|retire|restore`: see and correct which archived copy of a file is loaded.

The archive never loses a file. A bad copy (a wrong file handed in, a publisher's botched
reissue) is *retired*: it stays on disk with its sidecar, a decision records who retired it, when
and why, and no run loads it again. *Restore* undoes that. Handing the good file in again
(`cohesion fetch --source-dir`) makes that copy current again as well. `list` shows every copy
with its state: current (loaded), older, retired (with the decision), ignored (never loaded: a
year outside the catalog's years).
"""

from __future__ import annotations

import argparse

from ingestion.settings import paths


def register(subparsers: argparse._SubParsersAction) -> None:
    archive = subparsers.add_parser(
        "archive",
        help="list the archived copies of each file, retire a bad one, restore a retired one",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = archive.add_subparsers(dest="archive_command", required=True)

    listing = commands.add_parser("list", help="every archived copy and whether it is loaded")
    listing.add_argument("--dataset", metavar="ID", help="only this dataset (default: every dataset)")
    listing.set_defaults(func=cmd_list)

    for name, verb in (("retire", "never load this copy again (it stays on disk)"), ("restore", "undo a retirement")):
        command = commands.add_parser(name, help=verb)
        command.add_argument("dataset", metavar="DATASET", help="dataset id, e.g. statbel_population")
        command.add_argument("vintage", metavar="VINTAGE", help="the copy's vintage as `archive list` shows it, e.g. 2025+e54404f7")
        command.add_argument("file", metavar="FILE", nargs="?", help="the file name, when the vintage holds several")
        command.add_argument("--reason", required=True, help="why: recorded with the decision, for whoever reads the archive next")
        command.add_argument("--by", help="who decides (default: the user name)")
        command.set_defaults(func=cmd_retire if name == "retire" else cmd_restore, locks=True)


def cmd_list(args: argparse.Namespace) -> int:
    from ingestion.archive import RawArchive
    from ingestion.catalog import load_catalog
    from ingestion.vintages import listing

    catalog = load_catalog()
    if args.dataset:
        catalog.dataset(args.dataset)  # an unknown id fails here, listing the known ones
    archive = RawArchive(paths().raw)
    listed = listing(archive, catalog, [args.dataset] if args.dataset else None)
    if not listed:
        print(f"the archive {archive.root} holds no file" + (f" of dataset {args.dataset}" if args.dataset else ""))
        return 0
    for item in listed:
        print(item.line())
    counts = {state: sum(i.state == state for i in listed) for state in ("current", "older", "retired", "ignored")}
    print(", ".join(f"{n} {state}" for state, n in counts.items()) + " (current = loaded by the next run)")
    return 0


def _decide(args: argparse.Namespace, action: str) -> int:
    from ingestion.archive import RawArchive
    from ingestion.catalog import load_catalog
    from ingestion.vintages import select_vintages

    catalog = load_catalog()
    catalog.dataset(args.dataset)
    archive = RawArchive(paths().raw)
    entry = archive.find(args.dataset, args.vintage, args.file)
    decide = archive.retire if action == "retire" else archive.restore
    decision = decide(entry, reason=args.reason, by=args.by)
    where = f"{entry.dataset}/{entry.vintage}/{entry.filename}"
    print(f"{where}: {decision.describe()}")
    now = next(
        (c for c in select_vintages(archive, catalog, entry.dataset).choices
         if (c.entry.file_id, c.entry.year) == (entry.file_id, entry.year)),
        None,
    )
    what = f"{entry.file_id}" + (f" {entry.year}" if entry.year is not None else "")
    if now is None:
        print(f"the next run loads no copy of {entry.dataset}/{what}: every copy is retired")
    else:
        print(f"the next run loads {entry.dataset}/{what} from {now.describe()}")
    return 0


def cmd_retire(args: argparse.Namespace) -> int:
    return _decide(args, "retire")


def cmd_restore(args: argparse.Namespace) -> int:
    return _decide(args, "restore")
