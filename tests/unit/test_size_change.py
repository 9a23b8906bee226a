from expectations.size_change import size_change


def test_first_load_passes_and_says_there_is_nothing_to_compare():
    result = size_change("statbel_population", 48612, None)
    assert result.passed
    assert result.message() == "dataset statbel_population: 48612 rows; no previous load to compare with"


def test_a_new_year_is_growth_and_passes():
    assert size_change("statbel_population", 55380, 48612).passed


def test_a_drop_of_more_than_fifteen_percent_fails_with_the_numbers():
    result = size_change("statbel_income", 8000, 16268)
    assert not result.passed
    assert result.message() == (
        "dataset statbel_income: 8000 rows against 16268 in the previous load (-50.8%), "
        "a drop of more than 15%: truncated or mis-filtered input?"
    )
    assert size_change("statbel_income", 13900, 16268).passed  # -14.6 %
