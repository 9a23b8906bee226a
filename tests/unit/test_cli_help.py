"""The command line explains itself: `cohesion` alone prints the help, `--version` the version,
and every option says what it does and what it defaults to."""

from __future__ import annotations

import argparse

import pytest

from cli import main as cli


def _parsers() -> dict[str, argparse.ArgumentParser]:
    """Every parser of the command, by its command line ("cohesion", "cohesion run", ...)."""
    parser = cli.build_parser()
    cli._add_common_options(parser)
    found, todo = {}, [("cohesion", parser)]
    while todo:
        name, current = todo.pop()
        found[name] = current
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend((f"{name} {sub}", p) for sub, p in action.choices.items())
    return found


def test_cohesion_alone_prints_the_help(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: cohesion ")
    for command in ("run", "explain", "whatif", "rollback", "archive", "fetch", "parse", "bench", "releases", "serve"):
        assert f"\n    {command} " in out


def test_version(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("cohesion 0.")


def test_every_option_has_help_and_says_its_default():
    parsers = _parsers()
    assert len(parsers) >= 15
    missing, no_default = [], []
    for name, parser in parsers.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._VersionAction | argparse._SubParsersAction):
                continue
            label = f"{name} {'/'.join(action.option_strings) or action.dest}"
            if not action.help:
                missing.append(label)
            # An option that takes a value says what happens without it; flags default to off.
            takes_value = action.option_strings and action.nargs != 0 and not action.required
            if takes_value and "default" not in action.help:
                no_default.append(label)
    assert missing == []
    assert no_default == []


def test_help_names_the_defaults_a_user_asked_about():
    parsers = _parsers()
    explain = {a.dest: a.help for a in parsers["cohesion explain"]._actions}
    assert "(default: %(default)s)" in explain["lang"] and parsers["cohesion explain"].get_default("lang") == "fr"
    assert explain["year"] == "edition year of the index (default: the latest)"
    assert "every year the rules allow" in {a.dest: a.help for a in parsers["cohesion whatif"]._actions}["year"]
    assert "cohesion releases" in {a.dest: a.help for a in parsers["cohesion rollback"]._actions}["release_id"]
