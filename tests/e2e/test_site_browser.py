"""The release site in a real browser: Debian's Chromium driven by Playwright, headless, on the
site served by `cohesion serve`'s server (127.0.0.1) and opened from file://.

Skipped, with the reason shown, where no Chromium is installed; CI installs it and sets
COHESION_REQUIRE_BROWSER=1, which turns that skip into a failure. Screenshots of the home page
and of a commune page are saved in the test's folder, and copied to $COHESION_SCREENSHOT_DIR
when it is set.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from fixtures.site import published_site, query
from publish.site.numbers import format_number

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("COHESION_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking switches Chromium calls home (updates, sync, field trials).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def _browser_or_skip():
    required = os.environ.get("COHESION_REQUIRE_BROWSER") == "1"
    problem = None
    if not CHROMIUM.exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium): the site's browser test is skipped"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "Playwright for Python is not installed (pip install -e '.[test]'): the site's browser test is skipped"
    if problem and required:
        pytest.fail(problem.replace("is skipped", "cannot run") + ", and COHESION_REQUIRE_BROWSER=1 requires it")
    if problem:
        pytest.skip(problem)


@pytest.fixture(scope="module")
def browser():
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def served(sample_run):
    """The published release served as `cohesion serve` serves it, on a free port."""
    assert sample_run.success, sample_run.report["reason"]
    from publish.site.serve import make_server, published_release_dir

    data = sample_run.data_dir
    directory = published_release_dir(data / "published" / "cohesion.duckdb", data / "releases")
    server = make_server(directory, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()


class Watch:
    """Every request the page makes and every console error it logs."""

    def __init__(self, page):
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))


def _follow(page, selector: str) -> None:
    """Click a link and wait until the page it leads to has loaded (a home page is 0.6 MB)."""
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def _save(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=name.startswith("commune"))
    target = os.environ.get("COHESION_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / name)
    return path


def test_the_site_in_chromium(browser, served, sample_run, tmp_path):
    data = sample_run.data_dir
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    watch = Watch(page)
    page.goto(f"{served}/")
    assert page.url == f"{served}/site/index.html"
    _follow(page, "text=Français")
    assert page.url == f"{served}/site/fr/index.html"

    # The map: 565 communes, each with its name and value on focus and on hover.
    assert page.locator("svg.map path[data-nis]").count() == 565
    year, score = query(data, "select year, score from cohesion_index where nis_code = '21013' order by year desc limit 1")[0]
    page.locator('path[data-nis="21013"]').focus()
    tooltip = page.locator("#tooltip")
    assert tooltip.is_visible()
    assert tooltip.inner_text().split("\n") == ["Saint-Gilles", format_number(score, "fr", 1)]
    _save(page, tmp_path, "home_fr.png")
    page.locator('path[data-nis="21001"]').hover()  # Anderlecht: its middle is inside it
    assert tooltip.inner_text().startswith("Anderlecht\n")

    # The selector: the fund's status, with the release's labels in the legend and the tooltip.
    (status,) = query(data, "select status from fund_transitions where nis_code = '21013' order by year desc limit 1")[0]
    (label,) = query(data, "select label_fr from value_labels where column_name = 'status' and value = ?", [status])[0]
    page.select_option("#measure", "status")
    assert label in page.locator("#legend").inner_text()
    page.mouse.move(0, 0)
    page.locator('path[data-nis="21015"]').focus()
    page.locator('path[data-nis="21013"]').focus()
    assert tooltip.inner_text().split("\n") == ["Saint-Gilles", label]
    page.select_option("#year", "2019")
    assert page.locator("#map-table-value").text_content().endswith(", 2019")  # in a closed details

    # The browser formats numbers exactly as the pages built in Python do.
    for value, decimals in ((1234.5, 1), (1234567.891, 2), (-0.04, 1), (12.25, 1), (0.5, 0)):
        for lang in ("fr", "nl", "en"):
            assert page.evaluate(f"window.cohesionFormat({value}, {decimals}, '{lang}')") == format_number(value, lang, decimals)

    # Search by French, Dutch and German name (accents optional), and by NIS code.
    for typed, code in (("Schaerbeek", "21015"), ("Schaarbeek", "21015"), ("21015", "21015"), ("Sankt Vith", "63067"),
                        ("Liege", "62063"), ("Luik", "62063")):
        page.fill("#search", typed)
        assert page.locator(f'#search-results a[href="c/{code}.html"]').count() == 1, typed

    # The commune page says what cohesion_index says.
    page.fill("#search", "Saint-Gilles")
    _follow(page, '#search-results a[href="c/21013.html"]')
    assert page.url == f"{served}/site/fr/c/21013.html"
    assert page.locator("#commune-name").inner_text() == "Saint-Gilles"
    assert page.locator(f'[data-score-year="{year}"]').inner_text() == format_number(score, "fr", 1)
    _save(page, tmp_path, "commune_21013_fr.png")

    # The language switch keeps the commune.
    _follow(page, 'nav.langs a[hreflang="nl"]')
    assert page.url == f"{served}/site/nl/c/21013.html"
    assert page.locator("#commune-name").inner_text() == "Sint-Gillis"
    assert page.locator(f'[data-score-year="{year}"]').inner_text() == format_number(score, "nl", 1)
    _follow(page, 'nav.langs a[hreflang="en"]')
    assert page.url == f"{served}/site/en/c/21013.html"
    _follow(page, "text=Method and sources")
    assert page.locator("#quality-summary").is_visible()

    assert watch.errors == []
    outside = [url for url in watch.requests if not url.startswith(f"{served}/site/") and url != f"{served}/"]
    assert outside == []
    page.close()


def test_the_site_opens_from_file(browser, sample_run):
    site = published_site(sample_run.data_dir)
    page = browser.new_page()
    watch = Watch(page)
    page.goto((site / "en" / "index.html").as_uri())
    assert page.locator("svg.map path[data-nis]").count() == 565
    page.locator('path[data-nis="21015"]').focus()
    assert page.locator("#tooltip").inner_text().startswith("Schaerbeek\n")
    page.fill("#search", "Schaarbeek")
    _follow(page, '#search-results a[href="c/21015.html"]')
    assert page.locator("#commune-name").inner_text() == "Schaerbeek"
    assert watch.errors == []
    assert [url for url in watch.requests if not url.startswith(site.as_uri() + "/")] == []
    page.close()
