"""Explanations: numbers that add up, and sentences a committee member can read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kernels.explain import explain, explain_all, explain_text
from kernels.index import compute_index
from kernels.methodology import load_methodology
from kernels.synthetic import make_synthetic

CONFIG = Path(__file__).resolve().parents[2] / "config" / "methodology.yml"


@pytest.fixture(scope="module")
def methodology():
    return load_methodology(CONFIG)


@pytest.fixture(scope="module")
def result(methodology):
    data = make_synthetic(120, 10, (2022, 2023), seed=4, missing_share=0.0)
    # Commune 90007 loses most of its 2023 indicators: unscored that year.
    frame = data.indicators
    thin = (frame["nis_code"] == "90007") & (frame["year"] == 2023) & ~frame["indicator"].isin(
        ["unemployment_rate", "share_non_belgian", "dependency_ratio"]
    )
    return compute_index(frame[~thin], data.communes, methodology, data.population)


def test_explanation_numbers_add_up_to_the_score(result):
    ex = explain(result, "90003", 2023)
    row = result.index.set_index(["nis_code", "year"]).loc[("90003", 2023)]
    assert ex.score == pytest.approx(row["score"])
    assert ex.rank == row["rank"] and ex.communes_ranked == 119
    assert sum(d.contribution for d in ex.domains) == pytest.approx(ex.score, abs=1e-9)
    assert sum(i.contribution for i in ex.indicators) == pytest.approx(ex.score, abs=1e-9)
    assert [d.contribution for d in ex.domains] == sorted((d.contribution for d in ex.domains), reverse=True)


def test_weaknesses_and_strengths_are_relative_to_the_average_commune(result):
    y = result.index[result.index["year"] == 2023]
    middle = y.loc[(y["rank"] - 60).abs().idxmin(), "nis_code"]  # a commune with both
    ex = explain(result, middle, 2023)
    assert ex.weaknesses and ex.strengths
    c = result.contributions
    avg = c[(c["year"] == 2023) & (c["indicator"] == ex.weaknesses[0].indicator)]["contribution"].mean()
    assert ex.weaknesses[0].average == pytest.approx(avg)
    assert all(w.relative > 0 for w in ex.weaknesses) and all(s.relative < 0 for s in ex.strengths)
    assert ex.weaknesses[0].relative == max(i.relative for i in ex.indicators)
    assert ex.strengths[0].relative == min(i.relative for i in ex.indicators)


def test_changes_since_the_previous_year(result):
    ex = explain(result, "90003", 2023)
    assert ex.previous_year == 2022
    d = result.domains.set_index(["nis_code", "year", "domain"])["contribution"]
    first = ex.changes[0]
    assert first.change == pytest.approx(d[("90003", 2023, first.domain)] - d[("90003", 2022, first.domain)])
    assert abs(first.change) == max(abs(d[("90003", 2023, k)] - d[("90003", 2022, k)]) for k in result.domains["domain"].unique())
    c = result.contributions.set_index(["nis_code", "year", "indicator"])["contribution"]
    top = ex.indicator_changes[0]
    assert top.change == pytest.approx(c[("90003", 2023, top.indicator)] - c[("90003", 2022, top.indicator)])
    assert explain(result, "90003", 2022).changes == ()  # no earlier year


def test_french_text(result, methodology):
    ex = explain(result, "90003", 2023)
    text = explain_text(ex, "Saint-Gilles", methodology, lang="fr")
    score = f"{ex.score:.1f}".replace(".", ",")
    assert text.startswith(f"Saint-Gilles, 2023 : score de l'indice de cohésion {score} sur 100, rang {ex.rank} sur 119")
    assert "(rang 1 = besoins les plus élevés)" in text
    assert methodology.indicator(ex.weaknesses[0].indicator).label.fr in text
    assert f"Depuis 2022, le score est passé de {ex.previous_score:.1f}".replace(".", ",") in text


def test_dutch_and_english_texts(result, methodology):
    ex = explain(result, "90003", 2023)
    nl = explain_text(ex, "Sint-Gillis", methodology, lang="nl")
    en = explain_text(ex, "Saint-Gilles", methodology, lang="en")
    assert nl.startswith("Sint-Gillis, 2023: score op de cohesie-index ")
    assert methodology.domain(ex.domains[0].domain).label.nl in nl
    assert f"cohesion index score {ex.score:.1f} out of 100, rank {ex.rank} of 119" in en
    assert "," not in f"{ex.score:.1f}" and f"{ex.score:.1f}" in en


def test_unscored_commune_is_explained_with_what_is_missing(result, methodology):
    ex = explain(result, "90007", 2023)
    assert ex.score is None and ex.rank is None and ex.domains == ()
    assert "only 3 of the 15" in ex.reason
    assert explain_text(ex, "Herstappe", methodology, lang="fr") == (
        "Herstappe n'a pas de score d'indice de cohésion pour 2023 : seuls 3 des 15 indicateurs utilisés "
        "cette année sont disponibles, alors qu'il en faut au moins 10."
    )
    assert explain_text(ex, "Herstappe", methodology, lang="en").startswith("Herstappe has no cohesion index score for 2023")


def test_explain_all_and_errors(result, methodology):
    texts = explain_all(result, methodology, {"90003": "Saint-Gilles"}, langs=("fr", "nl"))
    assert len(texts) == 2 * len(result.index)
    assert texts.set_index(["nis_code", "year", "lang"]).loc[("90003", 2023, "fr"), "text"].startswith("Saint-Gilles, 2023")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        explain_text(explain(result, "90003", 2023), "x", methodology, lang="de")
    with pytest.raises(KeyError, match="no index row for nis_code '12345' in 2023"):
        explain(result, "12345", 2023)


def test_values_older_than_the_edition_are_named_with_their_year(result, methodology):
    periods = {(2023, "mean_income_per_declaration"): 2021, (2023, "unemployment_rate"): 2023, (2022, "dependency_ratio"): 2022}
    ex = explain(result, "90003", 2023, reference_periods=periods)
    assert ex.earlier_periods == (("mean_income_per_declaration", 2021),)
    en = explain_text(ex, "Saint-Gilles", methodology, lang="en")
    assert en.endswith("The values describe 2023, except mean net taxable income per declaration (2021), the latest published.")
    fr = explain_text(ex, "Saint-Gilles", methodology, lang="fr")
    assert fr.endswith("Les valeurs portent sur 2023, sauf revenu net imposable moyen par déclaration (2021), les dernières publiées.")
    # An edition whose values all describe its own year says nothing about periods.
    assert "2021" not in explain_text(explain(result, "90003", 2022, reference_periods=periods), "X", methodology, lang="en")
    texts = explain_all(result, methodology, {"90003": "Saint-Gilles"}, langs=("nl",), reference_periods=periods)
    row = texts[(texts["nis_code"] == "90003") & (texts["year"] == 2023)]["text"].iloc[0]
    assert row.endswith("De waarden gaan over 2023, behalve gemiddeld netto belastbaar inkomen per aangifte (2021), de laatst gepubliceerde.")


def test_each_language_names_the_commune_in_its_own_language_in_one_pass(result, methodology):
    from kernels.explain import explain_by_language

    names = {"fr": {"90003": "Saint-Gilles"}, "nl": {"90003": "Sint-Gillis"}}
    texts = explain_by_language(result, methodology, names)
    # The same rows as one explain_all per language, in language blocks.
    expected = pd.concat(
        [explain_all(result, methodology, names[lang], langs=(lang,)) for lang in names], ignore_index=True
    )
    pd.testing.assert_frame_equal(texts, expected)
    row = texts.set_index(["nis_code", "year", "lang"]).loc[("90003", 2023, "nl"), "text"]
    assert row.startswith("Sint-Gillis, 2023")
