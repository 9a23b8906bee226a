"""What a fund committee gets from a release: the workbook, explanations, what-if runs."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from ingestion.files import sha256_of
from cli import main as cli
from ingestion.settings import REPO_ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _sample_data_dir(sample_run, monkeypatch):
    monkeypatch.setenv("COHESION_DATA_DIR", str(sample_run.data_dir))


def _release_dir(data_dir):
    releases = sorted(p for p in (data_dir / "releases").iterdir() if not p.name.startswith("."))
    return releases[-1]


def test_release_carries_the_committee_workbook_with_french_and_dutch_headers(sample_run):
    workbook = _release_dir(sample_run.data_dir) / "exports" / "committee" / "fund_committee.xlsx"
    sheets = pd.read_excel(workbook, sheet_name=None, header=None, engine="calamine")
    assert list(sheets) == [
        "Couverture - Voorblad", "Éligibilité - Subsidiabiliteit", "Montants - Bedragen", "Transitions - Overgangen",
        "Années du fonds - Fondsjaren", "Éditions de l'indice - Edities", "Libellés - Labels",
    ]
    # What each edition of the index uses and why a year has no fund, in the committee's languages.
    editions = sheets["Éditions de l'indice - Edities"]
    assert editions.iloc[0].tolist()[:3] == ["Année", "Périmètre", "Publiée"]
    assert editions.iloc[1].tolist()[:3] == ["Jaar", "Bereik", "Gepubliceerd"]
    national = editions.iloc[2:][editions.iloc[2:][1] == "BE"]
    assert sorted(int(y) for y in national.loc[national[2].astype(bool), 0]) == list(range(2019, 2026))
    fund_years = sheets["Années du fonds - Fondsjaren"]
    assert [int(y) for y in fund_years.iloc[2:, 0]] == list(range(2019, 2026))
    cover = sheets["Couverture - Voorblad"]
    assert "synthetic sample" in cover[2].astype(str).tolist()
    allocation = sheets["Montants - Bedragen"]
    assert allocation.iloc[0].tolist()[:7] == [
        "Code INS", "Commune", "Commune (NL)", "Année", "Ligne budgétaire (code)", "Ligne budgétaire", "Critère de besoin (code)"
    ]
    assert allocation.iloc[1].tolist()[:4] == ["NIS-code", "Gemeente (FR)", "Gemeente", "Jaar"]
    # Euros (two decimals) add up to each year's budget, exit guarantees included.
    budgets = yaml.safe_load((REPO_ROOT / "config" / "fund_rules.yml").read_text())["budget"]["by_year"]
    euro_column = allocation.iloc[0].tolist().index("Montant (€)")
    cents = allocation.iloc[2:].groupby(3)[euro_column].sum()
    assert {int(y): round(float(c) * 100) for y, c in cents.items()} == {int(y): int(b) * 100 for y, b in budgets.items()}
    assert any(label.startswith("garantie de sortie (versée avant la formule) / ") for label in set(allocation.iloc[2:, 5]))


def test_committee_workbook_reads_back_as_a_committee_reads_it(sample_run):
    """Read back with openpyxl: the cover's rules and yearly totals, number formats, frozen
    headers, filters, labels beside codes, and the reason in the reader's language beside the
    amount."""
    import duckdb
    import openpyxl

    workbook = openpyxl.load_workbook(_release_dir(sample_run.data_dir) / "exports" / "committee" / "fund_committee.xlsx")
    published = sample_run.data_dir / "published" / "cohesion.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        summary = con.execute("select year, budget_cents, guarantees_cents, communes_leaving from fund_summary order by year").fetchall()

    cover = [[c for c in row if c is not None] for row in workbook["Couverture - Voorblad"].iter_rows(values_only=True)]
    labels = {row[0]: row[-1] for row in cover if len(row) == 3}
    assert labels["Plafond par commune (part du budget de l'année)"] == "10\u00a0%"
    assert labels["Poids dans la formule"].startswith("population x intensité du besoin (score à bornes fixes / 50) x facteur de bande")
    assert labels["Bandes d'entrée progressive (la part monte de 0 au seuil à la part pleine)"] == (
        "A\u00a0: 10\u00a0% du seuil / van de drempel ; B\u00a0: 5 rangs / rangen"
    )
    assert labels["Plancher par commune"] == "50\u00a0000,00\u00a0€"
    assert labels["Ligne : écoles (selon : enfants de 3 à 17 ans)"] == "40\u00a0%"
    assert labels["Sortie : après n années hors critères, garantie (part de la dernière dotation)"] == "n = 2, 50\u00a0%"
    assert "2025\u00a0: 55\u00a0000\u00a0000,00\u00a0€" in labels["Budget par année"]
    totals_at = next(i for i, row in enumerate(cover) if row[:1] == ["Totaux par année"])
    totals = cover[totals_at + 3 : totals_at + 3 + len(summary)]
    assert [(r[0], round(r[1] * 100), round(r[2] * 100), r[7]) for r in totals] == summary

    sheet = workbook["Transitions - Overgangen"]
    header_fr, header_nl = ([c.value for c in sheet[i]] for i in (1, 2))
    assert sheet.freeze_panes == "D3"
    assert sheet.auto_filter.ref == f"A2:{openpyxl.utils.get_column_letter(len(header_fr))}{sheet.max_row}"
    assert header_fr[-3:] == ["Raison", "Raison (NL)", "Raison (EN)"]
    assert header_nl[-3:] == ["Reden (FR)", "Reden", "Reden (EN)"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    column = {name: i for i, name in enumerate(header_fr)}
    paid = column["Versé (€)"]
    assert sheet.cell(3, paid + 1).number_format == '#,##0.00 "€"'
    assert sheet.cell(3, column["Poids dans la formule"] + 1).number_format == "0.000"
    staying = [r for r in rows if r[column["Statut (code)"]] == "staying"]
    assert staying and all(r[column["Statut"]] == "reste dans le fonds (année de grâce hors des critères) / blijft in het fonds (genadejaar buiten de criteria)" for r in staying)
    # Paid while not eligible: the reason beside the amount says why, in each language.
    assert all(r[paid] > 0 and "Reste dans le fonds, année de grâce" in r[column["Raison"]] for r in staying)
    assert all("Blijft in het fonds, genadejaar" in r[column["Raison (NL)"]] for r in staying)
    eligibility = workbook["Éligibilité - Subsidiabiliteit"]
    formats = {c.value: eligibility.cell(3, c.column).number_format for c in eligibility[1]}
    assert formats["Probabilité d'éligibilité"] == "0%"
    # Method 2 for the committee: each gate's probability and band, the nearest gate with its label.
    assert formats["Probabilité du critère A"] == formats["Facteur de bande (part de la part pleine)"] == "0%"
    assert formats["Position dans la bande du critère le plus proche"] == "0.00"
    nearest = [c.value for c in eligibility[1]].index("Critère le plus proche")
    assert {r[nearest] for r in eligibility.iter_rows(min_row=3, values_only=True)} >= {
        "critère A (arrivées récentes) : son seuil est le plus proche / criterium A (recente aankomsten): de drempel ligt het dichtst"
    }
    spread = [column[f"Dotation, {p} des tirages (€)"] for p in ("5e centile", "médiane", "95e centile")]
    assert all(sheet.cell(3, i + 1).number_format == '#,##0.00 "€"' for i in spread)
    assert all(r[spread[0]] <= r[spread[1]] <= r[spread[2]] for r in rows)
    assert formats["Arrivées pour 1 000 hab. (3 ans)"] == "0.0"
    assert [c.value for c in workbook["Libellés - Labels"][1]] == ["Colonne", "Code", "Libellé (EN)", "Libellé (FR)", "Libellé (NL)"]


def test_csv_exports_open_in_a_spreadsheet_with_names_and_accents(sample_run):
    exports = _release_dir(sample_run.data_dir) / "exports"
    raw = (exports / "csv" / "fund_transitions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfnis_code,commune_fr,commune_nl,year,status,")
    frame = pd.read_csv(exports / "csv" / "fund_transitions.csv", encoding="utf-8-sig", dtype={"nis_code": str})
    assert frame.loc[frame["nis_code"] == "21013", "commune_fr"].iloc[0] == "Saint-Gilles"
    assert "Liège" in set(pd.read_csv(exports / "csv" / "communes.csv", encoding="utf-8-sig")["name_fr"])
    committee = (exports / "committee" / "fund_allocation.csv").read_bytes()
    assert committee.startswith(b"\xef\xbb\xbfnis_code,commune_fr,commune_nl,year,budget_line")
    # Parquet keeps the published contract: no added name columns.
    assert list(pd.read_parquet(exports / "parquet" / "fund_transitions.parquet").columns)[:2] == ["nis_code", "year"]


def test_explain_prints_plain_sentences_with_the_commune_name(sample_run, capsys):
    assert cli.main(["explain", "21013", "--year", "2025", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "Saint-Gilles" in out and "2025" in out
    assert cli.main(["explain", "21013", "--lang", "nl"]) == 0
    assert "Sint-Gillis" in capsys.readouterr().out
    assert cli.main(["explain", "99999"]) == 2
    assert "'99999' is neither a commune of the 565 map nor a former commune code" in capsys.readouterr().err


def test_explain_says_what_the_fund_does_with_the_commune(sample_run, capsys):
    import duckdb

    published = sample_run.data_dir / "published" / "cohesion.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        code, year, reason_nl, paid = con.execute(
            "select nis_code, year, reason_nl, paid_cents from fund_transitions where status = 'staying' order by year desc, nis_code limit 1"
        ).fetchall()[0]
        leaving = con.execute(
            "select nis_code, year, reason from fund_transitions where status = 'leaving' order by year desc, nis_code limit 1"
        ).fetchall()[0]
    # Paid while not eligible: explain says why, as the published reason does.
    assert cli.main(["explain", code, "--year", str(year), "--lang", "nl"]) == 0
    out = capsys.readouterr().out
    assert f"Lokaal cohesiefonds {year}: {reason_nl}\n" in out
    assert "Blijft in het fonds, genadejaar" in out and paid > 0
    assert cli.main(["explain", leaving[0], "--year", str(leaving[1]), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"Local cohesion fund {leaving[1]}: {leaving[2]}\n" in out
    assert "paid an exit guarantee of €" in out


def test_explain_of_a_former_code_names_the_commune_it_joined(sample_run, capsys):
    assert cli.main(["explain", "11007", "--year", "2025", "--lang", "en"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "11007 (Borsbeek) is no longer a commune code: it merged into 11002 Anvers on 1 January 2025; its figures are in Anvers's."
    )
    assert lines[1].startswith("Anvers, 2025: cohesion index score ")
    assert cli.main(["explain", "11007", "--year", "2025", "--lang", "nl"]) == 0
    assert capsys.readouterr().out.startswith(
        "11007 (Borsbeek) is geen gemeentecode meer: de gemeente fuseerde op 1 januari 2025 met 11002 Antwerpen;"
    )


def _rules(tmp_path, name: str, change) -> str:
    rules = yaml.safe_load((REPO_ROOT / "config" / "fund_rules.yml").read_text())
    change(rules)
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(rules))
    return str(path)


def _cell_table(sheet) -> tuple[list[str], list[tuple]]:
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), rows[2:]


def test_whatif_compares_rules_without_touching_the_release(sample_run, tmp_path, capsys):
    import openpyxl

    published = sample_run.data_dir / "published" / "cohesion.duckdb"
    before = sha256_of(published)

    def wider_gate_b_more_for_schools(rules):
        rules["version"] = "whatif-test"
        rules["gate_b"]["top_fraction"] = "1/2"
        rules["budget_lines"][0]["national_share"] = 0.5  # schools
        rules["budget_lines"][1]["national_share"] = 0.1  # creches

    out = tmp_path / "out"
    assert cli.main(["whatif", _rules(tmp_path, "rules", wider_gate_b_more_for_schools), "--out", str(out)]) == 0
    console = capsys.readouterr().out
    assert console.startswith("WARNING: the warehouse holds the synthetic sample: these amounts are not statistics\n")
    assert "what-if rules whatif-test against current rules 2026.1" in console
    assert "  gate_b.top_fraction: 1/3 -> 1/2\n" in console
    assert "  budget_lines[schools].national_share: 0.4 -> 0.5\n" in console
    assert (out / "whatif.xlsx").exists()

    comparison = pd.read_csv(out / "whatif_comparison.csv", encoding="utf-8-sig", dtype={"nis_code": str})
    entered = comparison[comparison["eligible_after"] & ~comparison["eligible_before"]]
    # One count of newly eligible commune-years, the same in the console, the cover and the sheet.
    figure = f"{len(entered)} commune-years ({entered['nis_code'].nunique()} communes)"
    assert f"newly eligible: {figure}\n" in console
    workbook = openpyxl.load_workbook(out / "whatif.xlsx")
    cover = {row[0]: row[2] for row in workbook["Couverture - Voorblad"].iter_rows(values_only=True) if row[0]}
    assert cover["Devenues éligibles (communes-années)"] == figure
    assert cover["ATTENTION : the warehouse holds the synthetic sample: these amounts are not statistics"] is None
    assert len(entered) > 0 and comparison["commune_fr"].notna().all()

    # Totals per year before and after: the budget is the same, more communes are paid.
    totals = pd.read_csv(out / "whatif_totals.csv", encoding="utf-8-sig")
    assert (totals["budget_before_cents"] == totals["budget_after_cents"]).all()
    assert (totals["communes_paid_after"] >= totals["communes_paid_before"]).all()
    assert totals["communes_paid_after"].sum() > totals["communes_paid_before"].sum()
    # A change of line shares moves money between lines even where a commune's total is unchanged.
    lines = pd.read_csv(out / "whatif_lines.csv", encoding="utf-8-sig", dtype={"nis_code": str})
    schools = lines[lines["budget_line"] == "schools"].groupby("year")["change_cents"].sum()
    creches = lines[lines["budget_line"] == "creches"].groupby("year")["change_cents"].sum()
    assert (schools > 0).all() and (creches < 0).all()
    assert lines["commune_nl"].notna().all()
    rules_diff = pd.read_csv(out / "whatif_rules.csv", encoding="utf-8-sig", dtype=str)
    assert rules_diff.set_index("key").loc["budget_lines[creches].national_share"].tolist() == ["0.2", "0.1"]
    assert sorted(workbook.sheetnames) == sorted([
        "Couverture - Voorblad", "Totaux - Totalen", "Comparaison - Vergelijking", "Par ligne - Per lijn",
        "Règles - Regels", "Éligibilité - Subsidiabiliteit",
    ])
    assert sha256_of(published) == before


def test_whatif_warns_when_the_rules_change_without_a_new_version(sample_run, tmp_path, capsys):
    rules = _rules(tmp_path, "same_version", lambda r: r["allocation"].__setitem__("floor_euro", 60000))
    assert cli.main(["whatif", rules, "--year", "2025", "--out", str(tmp_path / "out")]) == 0
    console = capsys.readouterr().out
    assert (
        "WARNING: the rules differ from the current ones in 1 place(s) but keep version 2026.1: give the tested "
        "rules a new version, or the comparison cannot be told from the current fund\n"
    ) in console
    assert "years 2025\n" in console


def test_whatif_runs_the_method_1_rules_kept_in_the_archive(sample_run, tmp_path, capsys):
    """A method-1 rules file (2025.2) still applies: what-if compares it with method 2, and every
    year still adds up to its budget."""
    archived = REPO_ROOT / "config" / "archive" / "fund_rules_2025.2.yml"
    out = tmp_path / "method1"
    assert cli.main(["whatif", str(archived), "--out", str(out)]) == 0
    console = capsys.readouterr().out
    assert "what-if rules 2025.2 against current rules 2026.1" in console
    totals = pd.read_csv(out / "whatif_totals.csv", encoding="utf-8-sig")
    assert (totals["budget_before_cents"] == totals["budget_after_cents"]).all()
    rules_diff = pd.read_csv(out / "whatif_rules.csv", encoding="utf-8-sig", dtype=str).set_index("key")
    assert {"allocation.weight", "allocation.cap_of", "bands.gate_b_ranks"} <= set(rules_diff.index)
    comparison = pd.read_csv(out / "whatif_comparison.csv", encoding="utf-8-sig", dtype={"nis_code": str})
    assert len(comparison) > 0  # the two methods share the money differently


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (
            "cap", lambda r: r["allocation"].__setitem__("cap_share_of_budget", 0.01),
            "key 'allocation.cap_share_of_budget': 30 communes in the fund x cap 400,000.00 EUR (1 % of the budget) = "
            "12,000,000.00 EUR cannot absorb the budget of 40,000,000.00 EUR; raise cap_share_of_budget to at least 3.34 %",
        ),
        (
            "no_budget", lambda r: (r["budget"].__setitem__("default", None), r["budget"]["by_year"].pop(2025)),
            "key 'budget.by_year.2025': no budget for 2025 and budget.default is null",
        ),
        (
            "floor", lambda r: r["allocation"].__setitem__("floor_euro", 2000000),
            "key 'allocation.floor_euro': 30 communes in the fund x floor 2,000,000.00 EUR = 60,000,000.00 EUR exceeds "
            "the budget of 40,000,000.00 EUR",
        ),
        (
            "babies", lambda r: r["budget_lines"][1].__setitem__("needs_driver", "babies"),
            "key 'budget_lines[1].needs_driver': unknown needs driver 'babies'",
        ),
        (
            "imputd", lambda r: r["gate_a"].__setitem__("excluded_flags", ["imputd"]),
            "key 'gate_a.excluded_flags': unknown flag(s) 'imputd'",
        ),
        ("unknown_key", lambda r: r["allocation"].__setitem__("ceiling", 1), "key 'allocation': unknown key(s) ceiling"),
        ("negative", lambda r: r["budget"]["by_year"].__setitem__(2025, -5), "key 'budget.by_year.2025': negative amount -5 EUR"),
    ],
)
def test_whatif_rejects_rules_in_one_line_with_exit_2(sample_run, tmp_path, capsys, name, change, message):
    rules = _rules(tmp_path, name, change)
    assert cli.main(["whatif", rules, "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"cohesion whatif: fund rules {rules}, ")
    assert message in err
    assert not (tmp_path / "out").exists()


def test_whatif_names_the_file_of_a_yaml_error_and_refuses_a_folder(sample_run, tmp_path, capsys):
    broken = tmp_path / "broken.yml"
    broken.write_text("version: '1'\nbudget: [\n", encoding="utf-8")
    assert cli.main(["whatif", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"cohesion whatif: fund rules {broken}, key '(file)': not valid YAML: line 3, column 1: while parsing a flow "
        "node expected the node content, but found '<stream end>'"
    )
    assert cli.main(["whatif", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"cohesion whatif: fund rules {tmp_path}, key '(file)': is a folder; give the rules file itself (a .yml file)"
    )


def test_explain_shows_the_band_probability_spread_and_nearest_threshold(sample_run, capsys):
    """Method 2 for one commune: a borderline commune in a phase-in band, in each language, with
    the numbers its published row holds."""
    import duckdb

    from kernels.fund_reasons import band_share, money, percent

    published = sample_run.data_dir / "published" / "cohesion.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        row = con.execute(
            "select e.nis_code, e.year, e.band_factor, e.eligibility_probability, e.borderline_gate, e.nearest_gate, "
            "t.formula_p05_cents, t.formula_p50_cents, t.formula_p95_cents "
            "from fund_eligibility e join fund_transitions t using (nis_code, year) "
            "where e.borderline and e.band_factor > 0 and e.band_factor < 1 order by e.year desc, e.nis_code limit 1"
        ).df().iloc[0]
    assert cli.main(["explain", row["nis_code"], "--year", str(row["year"]), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"Band: {percent(band_share(row['band_factor']), 'en')} of its full share" in out
    assert f"Probability of eligibility over the draws: {percent(row['eligibility_probability'], 'en')}" in out
    assert "; borderline (" in out
    assert (
        f"Formula grant across the draws: {money(row['formula_p05_cents'], 'en')} (5th percentile), "
        f"{money(row['formula_p50_cents'], 'en')} (median), {money(row['formula_p95_cents'], 'en')} (95th percentile)."
    ) in out
    assert f"Nearest threshold: gate {row['nearest_gate'][-1].upper()}, " in out
    assert cli.main(["explain", row["nis_code"], "--year", str(row["year"]), "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "Bande\u00a0: " in out and "Seuil le plus proche\u00a0: critère" in out
    assert cli.main(["explain", row["nis_code"], "--year", str(row["year"]), "--lang", "nl"]) == 0
    assert "Dichtste drempel: criterium" in capsys.readouterr().out
