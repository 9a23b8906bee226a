from expectations.size_change import yearly_size_change

DROP = 0.15  # the rule's share, as config/plausibility.yml sets it


def test_a_year_that_lost_rows_fails_even_when_the_total_grew():
    before = {"2023": 6780, "2024": 6780}
    now = {"2023": 6780, "2024": 1200, "2025": 6780}  # 2024 truncated, 2025 added: total grew
    result = yearly_size_change("statbel_population", now, before, max_drop=DROP, against="release r1")
    assert not result.passed
    assert result.message() == (
        "dataset statbel_population: a drop of more than 15% in 1 year(s) against the published load (release r1), "
        "truncated or mis-filtered input? 2024: 1200 rows against 6780 (-82.3%)"
    )


def test_a_year_a_series_file_no_longer_holds_is_a_drop_to_zero():
    result = yearly_size_change("statbel_income", {"2022": 9000}, {"2021": 9000, "2022": 9000}, max_drop=DROP)
    assert result.drops == (("2021", 0, 9000),)


def test_a_load_can_be_compared_on_some_years_only():
    before = {"2019": 6780, "2020": 6780}
    result = yearly_size_change("statbel_population", {"2020": 6700}, before, max_drop=DROP, years=("2020",))
    assert result.passed and result.compared == ("2020",)
    assert result.message() == (
        "dataset statbel_population: 6700 rows; 1 year(s) compared with the published load, none lost more than 15%"
    )
    first = yearly_size_change("statbel_population", {"2026": 6780}, before, max_drop=DROP, years=("2026",))
    assert first.passed
    assert first.message() == "dataset statbel_population: 6780 rows; no published load of these years to compare with"


def test_the_configured_share_is_the_rule():
    from expectations.plausibility_config import load_rules

    assert load_rules().size_change_max_drop == DROP
    assert not yearly_size_change("x", {"2024": 84}, {"2024": 100}, max_drop=0.15).passed
    assert yearly_size_change("x", {"2024": 84}, {"2024": 100}, max_drop=0.2).passed
