"""The live leaderboard in a Danish browser: what its scripts write is Danish, with decimal commas."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ultrathon.platform.leaderboard.cache import clear_leaderboard

from .test_leaderboard_page import START, add_score, busy_board  # noqa: F401  (the board, as a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ZONE = "Europe/Copenhagen"


@pytest.fixture
def danish_page(browser, live_server):
    """A page of a browser that asks for Danish, in Copenhagen."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                  locale="da-DK", timezone_id=ZONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_danish_reader_sees_live_rows_times_and_notes_in_danish(danish_page, busy_board):  # noqa: F811
    page, challenge = danish_page, busy_board
    page.goto(f"/challenges/{challenge.slug}/leaderboard")
    page.locator("#lb-live[data-state=live]").wait_for()
    assert page.locator("#lb-live").inner_text().strip() == "Live: rækkerne opdateres, efterhånden som scorer kommer ind."
    assert page.locator("[data-zone-note]").inner_text() == f"Tidspunkter vises i din tidszone, {ZONE}."

    newcomer = next(t for t in challenge.teams if t.name == "Null Hypothesis")
    add_score(newcomer, 0.9912, 0.99, START + timedelta(days=9), 500)
    clear_leaderboard(challenge.id, challenge.slug)
    page.wait_for_function(
        "() => document.querySelector('#lb-board tbody tr [data-col=team]').textContent.startsWith('Null Hypothesis')")
    first_row = page.locator("#lb-board tbody tr").first
    assert first_row.locator("[data-col=score]").inner_text() == "0,9912"  # written by leaderboard.js
    assert "," in first_row.locator("[data-col=ci]").inner_text() and "." not in first_row.locator("[data-col=ci]").inner_text()
    asof = page.locator("[data-lb=asof]").inner_text()
    assert asof.startswith("Stillingen pr. ") and f"({ZONE})" in asof and "UTC" not in asof
