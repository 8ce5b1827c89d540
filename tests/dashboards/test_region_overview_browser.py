"""An official's view: a real headless Chromium logs in, opens «Обзор региона» and sees every chart, in Russian."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.dashboards.conftest import bundle_charts

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ERROR_MARKERS = re.compile(
    r"Unexpected error|Network error|Error:|Traceback|Ошибка|ошибка|No results|Нет результатов|"
    r"Нет данных|No data|Unknown|Не удалось|There is no chart definition",
)
ENGLISH_UI = (
    "Dashboards",
    "Charts",
    "Datasets",
    "Settings",
    "Apply filters",
    "Clear all",
    "Edit dashboard",
    "Sign in",
)


@pytest.fixture(scope="module")
def browser(superset_server, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Debian's chromium is missing at {CHROMIUM}: `apt-get install -y chromium chromium-driver`."
        )
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            # Tall enough for the whole dashboard: no scrolling, no resize (a resize re-renders every chart).
            viewport={"width": 1600, "height": 2600},
            locale="ru-RU",
        )
        try:
            yield context
        finally:
            context.close()


def test_an_official_logs_in_and_sees_every_chart_of_the_region_overview_in_russian(
    superset_server, browser, warehouse
):
    started = time.monotonic()
    page = browser.new_page()
    page.goto(f"{superset_server.url}/login/")
    page.wait_for_selector("input#username, input[name=username]", timeout=60_000)
    page.wait_for_load_state("networkidle")
    login_text = page.inner_text("body")
    assert "Вход" in login_text and "Sign in" not in login_text, (
        f"login page is not Russian: {login_text[:300]}"
    )

    page.fill("input#username, input[name=username]", superset_server.username)
    page.fill("input#password, input[name=password]", superset_server.password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/superset/welcome/.*"), timeout=60_000)

    page.goto(f"{superset_server.url}/superset/dashboard/region-overview/")
    expected = len(bundle_charts())
    page.wait_for_function(
        "n => document.querySelectorAll('.dashboard-component-chart-holder').length >= n",
        arg=expected,
        timeout=60_000,
    )
    # A chart has rendered when its holder shows an ECharts canvas, a table or a big number, and no spinner
    # («Ждем …», Superset's "Waiting on …") is left anywhere.
    page.wait_for_function(
        """n => {
            const holders = [...document.querySelectorAll('.dashboard-component-chart-holder')];
            const done = holders.filter(h => h.querySelector('canvas, table, .header-line'));
            const spinning = holders.some(h => h.querySelector('.loading'))
                || /Ждем|Waiting on|Загрузка/.test(document.body.innerText);
            return done.length >= n && !spinning;
        }""",
        arg=expected,
        timeout=120_000,
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # ECharts animates bars in for about a second

    body = page.inner_text("body")
    for chart in bundle_charts().values():
        assert chart["slice_name"] in body, f"chart «{chart['slice_name']}» is not on the page"
    assert "Обзор региона" in body and "Учебный год" in body and "Муниципальное образование" in body
    errors = page.query_selector_all(
        ".alert-danger, .ant-alert-error, [data-test='error-message'], .error-alert"
    )
    assert not errors, [e.inner_text()[:200] for e in errors]
    found = ERROR_MARKERS.search(body)
    assert not found, f"error text on the dashboard: …{body[max(0, found.start() - 80) : found.end() + 80]}…"
    english = [word for word in ENGLISH_UI if re.search(rf"\b{word}\b", body)]
    assert not english, f"English interface words on the page: {english}"
    cyrillic = len(re.findall(r"[А-Яа-яЁё]", body))
    latin = len(re.findall(r"[A-Za-z]", body))
    assert cyrillic > 5 * latin, (
        f"the page is not mostly Russian ({cyrillic} Cyrillic vs {latin} Latin letters)"
    )
    # Russian number format: thousands separated by a (no-break) space, never by a comma.
    assert not re.search(r"\d,\d{3}\b", body), "numbers are grouped with commas, not in the Russian way"
    # The school-year filter starts on the latest year: the big number shows that year's pupils, Russian-grouped.
    latest_pupils = warehouse.scalar(
        "select (select count(*) from marts.fct_enrolment_snapshot s where s.school_year = y.school_year "
        "and s.snapshot_date = make_date(s.school_year_start, 9, 20)) + (select coalesce(sum(pupils), 0) "
        "from marts.fct_anonymous_headcounts a where a.school_year = y.school_year) "
        "from (select max(school_year) as school_year from marts.fct_enrolment_snapshot) y"
    )
    shown = re.sub(r"[\u00a0\u202f]", " ", body)
    assert f"{int(latest_pupils):,}".replace(",", " ") in shown, (
        f"latest year's {latest_pupils} pupils not shown"
    )

    shots = Path(os.environ["KONTINGENT_DASHBOARDS_SCREENSHOT_DIR"])
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / "region_overview.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 50_000
    print(
        f"\n[dashboards] browser: logged in and rendered {expected} charts in {time.monotonic() - started:.1f} s; {path}"
    )
