"""Subsets of the publishers' files, end to end (see tests/e2e/test_real_release.py for all of
them in one run): population files alone and Flemish exports alone publish what they can. In a
file of their own so that pytest-xdist runs them beside the run on every file, not after it."""

from __future__ import annotations

import pytest

from fixtures.real_runs import run_cli_on

pytestmark = [pytest.mark.e2e, pytest.mark.real]


def test_population_files_alone_publish_indicators_and_no_index(tmp_path, data_real):
    files = [data_real / "statbel-population" / n for n in ("TF_SOC_POP_STRUCT_2015.zip", "Pop_density_en.xlsx")]
    run = run_cli_on(files, tmp_path)
    assert run.code == 0, run.output[-3000:]
    assert run.query("select count(*) from index_editions where published") == [(0,)]
    assert run.query("select count(*) from cohesion_index") == [(0,)]
    reason = run.query("select reason from index_editions where scope = 'BE' and year = 2015")[0][0]
    assert reason == (
        "2 domain(s) carrying 28.0% of the weight; an edition needs at least 3 domains and 50% of the weight"
    )
    assert run.query(
        "select count(distinct nis_code) from commune_indicators where indicator = 'share_age_0_2' and year = 2015"
    ) == [(565,)]
    assert "index editions: none" in run.output


def test_flemish_exports_alone_publish_flemish_indicators(tmp_path, data_real):
    files = [
        *sorted((data_real / "pinc-abii-nieuwkomers").iterdir()),
        data_real / "pinc-vdab-werkzoekenden" / "unemployment_jobseekers_data.xlsx",
        data_real / "pinc-onderwijs-thuistaal" / "flanders_youth.csv",
    ]
    run = run_cli_on(files, tmp_path)
    assert run.code == 0, run.output[-3000:]
    coverage = dict(
        run.query(
            "select region, coverage from indicator_coverage where indicator = 'unemployment_rate' and year = 2024"
        )
    )
    assert coverage["BE-VLG"] == 1.0 and coverage["BE-WAL"] == 0.0
    # Newcomers need a population to be a rate: without one, no indicator and no fund.
    assert run.query("select count(*) from commune_indicators where indicator = 'newcomers_per_1000_3y'") == [(0,)]
    assert run.query("select count(*) from index_editions where published") == [(0,)]
