"""The `cohesion` command: run the pipeline, fetch and parse publishers' files, manage the raw
archive and the releases, explain a commune, test other fund rules (whatif), serve the published
release's site (serve), time a run (bench).

Every subcommand exits non-zero with a one-line message on failure (a traceback only with
--debug). Commands that write the data folder hold its lock while they run
(cli/run_lock.py): a second one refuses with one line naming the holder, or waits
with --wait.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from ingestion.errors import CohesionError
from cli.archive import register as register_archive
from cli.ingest import register as register_ingest
from ingestion.sample.archive import generate_and_archive_sample
from ingestion.settings import paths
from orchestration.runner import execute_pipeline, prepare_dbt

def _cmd_run(args: argparse.Namespace) -> int:
    from orchestration.report import build_run_report, print_summary, write_run_report, write_unchanged_report

    years = None
    if args.years:  # checked before anything is fetched or generated
        from orchestration.partitions import year_span

        years = year_span(args.years)
    timings: dict[str, float] = {}
    fetched = None
    if args.sample:
        timings["sample generation"], timings["archive"] = generate_and_archive_sample()
    elif args.source_dir or args.offline or args.online:
        from ingestion.archive import RawArchive
        from ingestion.catalog import load_catalog
        from ingestion.fetch import fetch

        mode = "offline" if args.offline else "online"
        fetched = fetch(load_catalog(), RawArchive(paths().raw), mode=mode, source_dir=args.source_dir)
        print(fetched.summary())
        if fetched.failed:
            raise CohesionError("; ".join(item.line() for item in fetched.failed))
    if not args.force and years is None:
        unchanged = _unchanged_since()
        if unchanged is not None:
            report = {
                "published": True, "unchanged": True, "ran": False, "reason": unchanged[1],
                "release_id": unchanged[0], "published_path": str(paths().published), "timings": timings,
            }
            write_unchanged_report(report, paths().reports)
            print(f"nothing changed since release {unchanged[0]}: {unchanged[1]}; nothing was run "
                  f"(--force runs anyway). Published: {paths().published}")
            return 0
    changed = () if args.force or years is not None else _changed_datasets()
    prepare_dbt()
    result, instance = execute_pipeline(years, changed_datasets=changed)
    report = build_run_report(result, instance, timings)
    if changed:
        report["changed_datasets"] = list(changed)
    if fetched is not None:
        # Which file went where, and why a file matched no layout, kept with the run.
        report["inputs"] = [item.as_dict() for item in fetched.items]
    report["report_path"] = str(paths().reports / "latest.json")
    write_run_report(report, paths().reports)
    print_summary(report)
    return 0 if report["published"] else 1


def _unchanged_since() -> tuple[str, str] | None:
    """(release id, why) when the published release was made from this very archive, config and
    code: running again would only make the same release."""
    from publish.publishing import current_inputs_fingerprint, inputs_fingerprints, published_release

    release = published_release(paths())
    if release is None:
        return None
    fingerprint = current_inputs_fingerprint(paths())
    if fingerprint == release.info.inputs_fingerprint:
        return release.release_id, "the same archived files, config and code"
    if fingerprint in inputs_fingerprints(release):
        return release.release_id, "these archived files, config and code were run before and made the same content"
    return None


def _changed_datasets() -> tuple[str, ...]:
    """The datasets that changed since the published release when nothing else did: the run then
    rebuilds only what depends on them, and says so."""
    from publish.publishing import changed_datasets

    changed = changed_datasets(paths())
    if changed is None:
        return ()
    print(f"since release {changed.release_id} only {', '.join(changed.datasets)} changed: rebuilding what "
          "depends on them, the rest is the release's (--force rebuilds everything)")
    return changed.datasets


def _cmd_prepare(args: argparse.Namespace) -> int:
    print(f"dbt manifest: {prepare_dbt()}")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from ingestion.sample import generate_sample

    out = Path(args.out) if args.out else paths().sample
    report = generate_sample(out, seed=args.seed)
    print(f"sample written to {out}: {len(report.files)} files")
    return 0


def _cmd_releases(args: argparse.Namespace) -> int:
    from publish.release import current_release_id, list_releases, release_status

    data = paths()
    current = current_release_id(data.published)
    releases = list_releases(data.releases)
    if not releases:
        print(f"no release in {data.releases}")
        return 0
    for release in releases:
        marker = "*" if release.release_id == current else " "
        rows = release.tables.get("commune_indicators", 0)
        status = release_status(release)
        # A release that never completed or whose checks failed can never be rolled back to: say so.
        state = "" if status.problem is None else f"  NOT PUBLISHABLE ({status.problem})"
        print(
            f"{marker} {release.release_id}  {release.info.created_at}  {release.info.data_origin:<16}  "
            f"methodology {release.info.methodology_version}  rules {release.info.rules_version}  "
            f"{rows} indicator rows{state}"
        )
    print("(* = published; NOT PUBLISHABLE = `cohesion rollback` refuses it)")
    return 0


def _cmd_rollback(args: argparse.Namespace) -> int:
    from publish.release import rollback

    data = paths()
    release = rollback(args.release_id, data.releases, data.published)
    print(f"release {release.release_id} is published again at {data.published}")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from cli.explain import explain

    print("\n".join(explain(paths().published, args.nis_code, year=args.year, lang=args.lang)))
    return 0


def _cmd_whatif(args: argparse.Namespace) -> int:
    from publish.whatif import run_whatif, write_whatif

    rules = Path(args.rules)
    if not rules.exists():
        raise CohesionError(f"rules file {rules} does not exist")
    result = run_whatif(rules, paths().warehouse, year=args.year)
    out = Path(args.out) if args.out else paths().data / "whatif" / rules.stem
    workbook = write_whatif(result, out)
    print("\n".join(result.summary()))
    print(f"comparison written to {workbook} and {out}/whatif_*.csv; the published release is unchanged")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from publish.site.serve import make_server, published_release_dir

    data = paths()
    directory = published_release_dir(data.published, data.releases)
    server = make_server(directory, args.port)
    host, port = server.server_address[:2]
    print(f"serving the site of release {directory.name} at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from cli.bench import run_bench

    return run_bench(Path(args.real_dir) if args.real_dir else None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cohesion", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    # No subcommand prints the help (main), rather than argparse's bare "required" error.
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="fetch or generate inputs, materialise every asset, check, publish")
    origin = run.add_mutually_exclusive_group()
    origin.add_argument("--sample", action="store_true", help="generate and use the embedded synthetic sample")
    origin.add_argument("--online", action="store_true", help="download new releases from the publishers first")
    origin.add_argument("--offline", action="store_true", help="use only what the raw archive holds")
    origin.add_argument(
        "--source-dir", metavar="DIR",
        help="archive files downloaded by hand from DIR first (default: the archive as it is, or the sample "
        "when the data folder has nothing)",
    )
    run.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS",
        help="when another command holds the data folder, wait up to SECONDS for it (default: refuse at once)",
    )
    run.add_argument(
        "--years",
        metavar="FIRST[..LAST]",
        help="reload the yearly datasets (one file per year) for these years only; the others stay as "
        "loaded (default: every archived year)",
    )
    run.add_argument(
        "--force", action="store_true",
        help="run even when the archive, config and code are those of the published release "
        "(default: such a run does nothing and says so)",
    )
    run.set_defaults(func=_cmd_run, locks=True)

    sub.add_parser("prepare", help="build the dbt manifest (dbt parse)").set_defaults(func=_cmd_prepare)

    sample = sub.add_parser("sample", help="write the embedded synthetic sample")
    sample.add_argument("--out", help="folder (default: $COHESION_DATA_DIR/sample)")
    sample.add_argument(
        "--seed", type=int, default=20250101, help="random seed of the generator; the same seed writes the same files (default: %(default)s)"
    )
    sample.set_defaults(func=_cmd_sample)

    sub.add_parser("releases", help="list releases; * marks the published one").set_defaults(func=_cmd_releases)
    rollback = sub.add_parser("rollback", help="publish an earlier release again")
    rollback.add_argument("release_id", help="a release id as `cohesion releases` lists it, e.g. 20251201T000000Z-3f2a1b")
    rollback.set_defaults(func=_cmd_rollback, locks=True)

    explain = sub.add_parser(
        "explain", help="explain a commune's cohesion index and its place in the fund in plain sentences"
    )
    explain.add_argument(
        "nis_code", help="REFNIS code of the commune, e.g. 21013; a former code (11007 Borsbeek) explains the commune it joined"
    )
    explain.add_argument("--year", type=int, help="edition year of the index (default: the latest)")
    explain.add_argument(
        "--lang", choices=("fr", "nl", "en"), default="fr", help="language of the text: fr, nl or en (default: %(default)s)"
    )
    explain.set_defaults(func=_cmd_explain)

    whatif = sub.add_parser("whatif", help="the fund under another rules file; never touches the release")
    whatif.add_argument("rules", help="an edited copy of config/fund_rules.yml")
    whatif.add_argument("--year", type=int, help="compare this year of the fund only (default: every year the rules allow)")
    whatif.add_argument("--out", help="folder for whatif.xlsx and CSV (default: data/whatif/<rules name>)")
    whatif.set_defaults(func=_cmd_whatif)

    serve = sub.add_parser("serve", help="serve the published release's site on 127.0.0.1 (this machine only)")
    serve.add_argument("--port", type=int, default=8565, help="TCP port on 127.0.0.1 (default: %(default)s)")
    serve.set_defaults(func=_cmd_serve)

    bench = sub.add_parser(
        "bench", help="time each stage of a sample run, and of a run on the publishers' files when at hand"
    )
    bench.add_argument(
        "--real-dir", help="folder of publishers' files to time as well (default: ../shared/data-real when present)"
    )
    bench.set_defaults(func=_cmd_bench)
    register_ingest(sub)
    register_archive(sub)
    return parser


# Subcommands that write the data folder, beyond those that set `locks` themselves.
_WRITERS = frozenset({"fetch"})


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    """--debug on the command and on every subcommand (`cohesion --debug run` and `cohesion run
    --debug` alike)."""
    help_text = "print the traceback of an error (default: one line)"
    parser.add_argument("--debug", action="store_true", help=help_text)
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        for name, subparser in getattr(action, "choices", {}).items():
            if "--debug" not in subparser._option_string_actions:
                subparser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=help_text)
            if name == "fetch" and "--wait" not in subparser._option_string_actions:
                subparser.add_argument(
                    "--wait", type=float, default=0.0, metavar="SECONDS",
                    help="when another command holds the data folder, wait up to SECONDS for it (default: refuse at once)",
                )


def error_line(exc: BaseException) -> str:
    """One line for any error: ours as they are (they name dataset, file, row...), others with
    their type, so that even an unexpected error says what happened."""
    text = " ".join(str(exc).split())
    if isinstance(exc, CohesionError):
        return text
    return f"{type(exc).__name__}: {text or 'no message'} (run again with --debug for the traceback)"


def _version() -> str:
    from publish.publishing import code_version

    return code_version()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    _add_common_options(parser)
    args = parser.parse_args(argv)
    if getattr(args, "command", None) is None:
        parser.print_help()
        return 0
    command = getattr(args, "command", None) or "cohesion"
    debug = bool(getattr(args, "debug", False))
    try:
        if getattr(args, "locks", False) or command in _WRITERS:
            from cli.run_lock import data_folder_lock

            line = " ".join(["cohesion", *(sys.argv[1:] if argv is None else argv)])
            with data_folder_lock(paths().data, line, wait_seconds=getattr(args, "wait", 0.0) or 0.0) as held:
                if held.note():
                    print(f"cohesion {command}: {held.note()}", file=sys.stderr)
                return args.func(args)
        return args.func(args)
    except KeyboardInterrupt:
        print(f"cohesion {command}: interrupted; the published release is unchanged", file=sys.stderr)
        return 130
    except Exception as exc:  # the one error path of every subcommand
        if debug:
            traceback.print_exc()
        print(f"cohesion {command}: {error_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
