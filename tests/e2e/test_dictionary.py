"""The published `_data_dictionary` is the truth a reader relies on: every column of every table
described in English, French and Dutch, and every documented range or list of allowed values
holding on the data it describes; every coded value has a label in `value_labels`."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.e2e

# What a unit promises, whatever the table: the dictionary must document it and the data obey it.
UNIT_RANGES = {"rank": (1, None), "count": (0, None), "share": (0, 1), "probability": (0, 1), "score 0-100": (0, 100)}


@pytest.fixture(scope="module")
def con(sample_run):
    assert sample_run.success, f"the sample pipeline run failed: {sample_run.report.get('reason')}"
    with duckdb.connect(str(sample_run.data_dir / "published" / "cohesion.duckdb"), read_only=True) as con:
        yield con


def _dictionary(con) -> list[dict]:
    frame = con.execute("select * from _data_dictionary order by table_name, column_name").df()
    return frame.to_dict("records")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def test_every_published_column_is_described_in_three_languages_with_a_unit(con):
    columns = con.execute(
        "select table_name, column_name from information_schema.columns order by table_name, column_name"
    ).fetchall()
    entries = {(e["table_name"], e["column_name"]): e for e in _dictionary(con)}
    assert sorted(entries) == sorted(columns), "the dictionary lists exactly the published columns"
    incomplete = [
        key
        for key, entry in entries.items()
        if not all(str(entry[field]).strip() for field in ("description_en", "description_fr", "description_nl", "unit"))
    ]
    assert incomplete == []


def test_every_documented_list_of_allowed_values_holds(con):
    checked, violations = 0, []
    for entry in _dictionary(con):
        if not entry["allowed_values"]:
            continue
        allowed = entry["allowed_values"].split(",")
        column, table = _quoted(entry["column_name"]), _quoted(entry["table_name"])
        found = [
            v for (v,) in con.execute(f"select distinct cast({column} as varchar) from {table} where {column} is not null").fetchall()
        ]
        checked += 1
        violations += [(entry["table_name"], entry["column_name"], v) for v in found if v not in allowed]
    assert checked >= 20, f"only {checked} columns document their allowed values"
    assert violations == []


def _bound(value) -> float | None:
    """A dictionary bound as stored: NULL (NaN in pandas) means unbounded."""
    return None if value is None or value != value else value


def test_every_documented_range_holds(con):
    checked, violations = 0, []
    for entry in _dictionary(con):
        low, high = _bound(entry["min_value"]), _bound(entry["max_value"])
        column = _quoted(entry["column_name"])
        outside = [f"{column} < {low}"] * (low is not None) + [f"{column} > {high}"] * (high is not None)
        if not outside:
            continue
        checked += 1
        [(count,)] = con.execute(f"select count(*) from {_quoted(entry['table_name'])} where {' or '.join(outside)}").fetchall()
        if count:
            violations.append((entry["table_name"], entry["column_name"], low, high, count))
    assert checked >= 40, f"only {checked} columns document a range"
    assert violations == []


def test_a_unit_that_implies_a_range_is_documented_with_that_range(con):
    # dbt-tested (published) tables only: the metadata tables are written by Python, not tested by dbt.
    missing = []
    for entry in _dictionary(con):
        expected = UNIT_RANGES.get(entry["unit"])
        if expected is None or entry["table_name"].startswith("_") or entry["table_name"] == "fund_release_diff":
            continue
        documented = (_bound(entry["min_value"]), _bound(entry["max_value"]))
        if documented != expected:
            missing.append((entry["table_name"], entry["column_name"], entry["unit"], documented))
    assert missing == []


def test_the_scales_readers_were_misled_by_are_documented_as_they_are(con):
    """The issue's examples: a domain score is not 0-100, the 0-100 score is domain_transformed, and
    a contribution is weight x domain_transformed / 100."""
    entry = {
        e["column_name"]: e for e in _dictionary(con) if e["table_name"] == "cohesion_index_domains"
    }
    assert "0 to 100" not in entry["domain_score"]["description_en"]
    assert (entry["domain_transformed"]["min_value"], entry["domain_transformed"]["max_value"]) == (0, 100)
    (worst,) = con.execute(
        "select max(abs(contribution - weight * domain_transformed / 100)) from cohesion_index_domains"
    ).fetchall()[0]
    assert worst < 1e-9
    (low, high) = con.execute("select min(domain_score), max(domain_score) from cohesion_index_domains").fetchall()[0]
    assert -4 < low < 0 < high < 4


def test_every_coded_value_has_a_label_in_three_languages(con):
    labels = {
        (column, value): (en, fr, nl)
        for column, value, en, fr, nl in con.execute(
            "select column_name, value, label_en, label_fr, label_nl from value_labels"
        ).fetchall()
    }
    assert all(all(text.strip() for text in texts) for texts in labels.values())
    coded = [
        "status", "budget_line", "needs_driver", "treatment", "method", "bound", "domain", "change", "measure", "analysis",
        "choice", "nearest_gate", "borderline_gate",
    ]
    unlabelled = []
    for entry in _dictionary(con):
        if entry["column_name"] in coded and entry["allowed_values"]:
            unlabelled += [
                (entry["table_name"], entry["column_name"], v)
                for v in entry["allowed_values"].split(",")
                if (entry["column_name"], v) not in labels
            ]
    assert unlabelled == []
    # Flags: the labels cover exactly the flags defined in flag_definitions.
    defined = {f for (f,) in con.execute("select flag from flag_definitions").fetchall()}
    assert {v for (c, v) in labels if c == "flags"} == defined
    # The fund statuses a reader sees are the ones labelled, and each label is what the workbook prints.
    statuses = {s for (s,) in con.execute("select distinct status from fund_transitions").fetchall()}
    assert statuses <= {v for (c, v) in labels if c == "status"}
    assert labels[("status", "staying")][2] == "blijft in het fonds (genadejaar buiten de criteria)"


def test_every_reason_says_what_its_row_holds(con):
    """The reason beside a number is rendered from that number: the status with its grace year,
    the amount paid, the bound that held it, the gaps as the columns hold them."""
    from kernels.fund_reasons import band_share, percent

    rows = con.execute(
        "select t.status, t.grace_year, t.grace_years, t.bound, t.paid_cents, t.guarantee_cents, t.reason, "
        "t.band_factor, e.gate_a_band_factor, e.gate_b_band_factor, "
        "e.gate_a_pass, e.gate_a_gap, e.gate_b_gap, e.reason as eligibility_reason "
        "from fund_transitions t join fund_eligibility e using (nis_code, year)"
    ).df()
    assert len(rows) > 1000
    wrong = []
    for r in rows.itertuples():
        expected = {
            "entering": "Enters the fund this year",
            "in_fund": "In the fund:",
            "staying": f"Stays in the fund in grace year {r.grace_year} of {r.grace_years} outside the gates",
            "leaving": "Leaves the fund after",
            "out": "Not in the fund: paid nothing.",
        }[r.status]
        paid = f"€{r.paid_cents / 100:,.2f}"
        checks = [
            expected in r.reason,
            r.reason == r.eligibility_reason,
            r.paid_cents == 0 or paid in r.reason,
            ("held at the cap" in r.reason) == (r.bound == "cap"),
            ("raised to the floor" in r.reason) == (r.bound == "floor"),
            # A gate that passes has no gap; a failed gate A prints its gap as the column holds it.
            not r.gate_a_pass or r.gate_a_gap == 0,
            r.gate_a_pass or r.gate_a_gap != r.gate_a_gap or f"would need {r.gate_a_gap:,.1f} more arrivals" in r.reason,
            # The band: said exactly when the formula pays less than a full share, with the share
            # and each gate's factor as the columns hold them (a grace year keeps its last factor).
            ("Phase-in band" in r.reason) == (r.status in ("entering", "in_fund", "staying") and r.band_factor < 1),
            not (r.status in ("entering", "in_fund") and r.band_factor < 1)
            or (
                f"it gets {percent(band_share(r.band_factor), 'en')} of its full share "
                f"(gate A {percent(band_share(r.gate_a_band_factor), 'en')}, gate B {percent(band_share(r.gate_b_band_factor), 'en')})"
            ) in r.reason,
            not (r.status == "staying" and r.band_factor < 1)
            or f"it keeps {percent(band_share(r.band_factor), 'en')} of its full share" in r.reason,
            r.bound != "cap" or "of the year's budget of €" in r.reason,
        ]
        if not all(checks):
            wrong.append((r.status, r.reason, checks))
    assert wrong == []
    assert set(rows["status"]) == {"entering", "in_fund", "staying", "leaving", "out"}
    assert (rows["bound"] == "cap").sum() > 0
    assert ((rows["band_factor"] < 1) & rows["status"].isin(["entering", "in_fund"])).sum() > 10
