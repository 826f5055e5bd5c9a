"""The leaderboard of a challenge scored at two sites, in a real browser: site columns and a pending row that gets ranked."""

from __future__ import annotations

import pytest

from tests.platform.agent_support import SITES, sample_of
from tests.platform.test_agent_sites import post_site, uneven_predictions
from ultrathon.platform.leaderboard.cache import clear_leaderboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_pending_site_column_fills_in_and_the_row_is_ranked_in_place(
        page, client, site_challenge, agent_token, make_submission, make_team, screenshot):  # noqa: F811
    challenge = site_challenge()
    tokens = {site: agent_token(challenge, name=site, site=site)[1] for site in SITES}
    data = uneven_predictions()
    make_submission(challenge, team=make_team(challenge, name="Both sites"), data=data)
    for site in SITES:
        post_site(client, challenge, tokens[site], site, data)
    waiting = make_submission(challenge, team=make_team(challenge, name="Odense only"), data=sample_of(challenge))
    post_site(client, challenge, tokens["odense"], "odense", sample_of(challenge))
    clear_leaderboard(challenge.id, challenge.slug)

    page.goto(f"/challenges/{challenge.slug}/leaderboard")
    page.locator("#lb-live[data-state=live]").wait_for()
    assert page.locator("#lb-board thead").inner_text().count("mean of sites") == 1
    pending = page.locator(f"#lb-board tr[data-pending-id='{waiting.id}']")
    assert pending.locator("[data-col='site:copenhagen']").inner_text() == "pending"
    assert pending.locator("[data-col=rank]").inner_text() == "—"
    ranked = page.locator("#lb-board tr[data-team-id]")
    assert ranked.count() == 1 and ranked.first.locator("[data-col='site:odense']").inner_text().startswith("1.0000")
    screenshot(page, "leaderboard-sites")

    page.evaluate("window.notReloaded = true")
    post_site(client, challenge, tokens["copenhagen"], "copenhagen", sample_of(challenge))
    clear_leaderboard(challenge.id, challenge.slug)

    page.wait_for_function("() => !document.querySelector('#lb-board tr[data-pending-id]')"
                           " && document.querySelectorAll('#lb-board tr[data-team-id]').length === 2")
    newcomer = page.locator(f"#lb-board tr[data-team-id='{waiting.team_id}']")
    assert newcomer.locator("[data-col=rank]").inner_text() in ("1", "2")
    assert newcomer.locator("[data-col='site:copenhagen']").inner_text() != "pending"
    assert " – " in newcomer.locator("[data-col='site:copenhagen']").inner_text()
    assert page.evaluate("window.notReloaded") is True
