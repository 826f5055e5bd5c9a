"""The journeys' accessibility check itself: it names what fails, and no page gets past it unchecked."""

from __future__ import annotations

import pytest

from tests.e2e.accessibility import AuditedPage, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_serious_violation_fails_naming_its_rule_impact_target_and_help(browser):
    page = browser.new_page()
    try:
        page.set_content('<html lang="en"><title>t</title><main><h1>Form</h1><input id="nameless" type="text">'
                         '<p style="color:#bbb">faint</p></main></html>')
        with pytest.raises(AssertionError) as failure:
            assert_accessible(page, "the test form")
        message = str(failure.value)
        assert "the test form" in message
        assert "- label (critical): Form elements must have labels" in message and "at #nameless" in message
        assert "- color-contrast (serious)" in message and "at p:" in message and "1.91" in message
        # Text outside every landmark is a moderate finding ("region"): alone, it does not fail.
        page.set_content('<html lang="en"><title>t</title><p>outside</p><main><h1>Form</h1><label for="n">Name</label>'
                         '<input id="n" type="text"></main></html>')
        assert_accessible(page)
    finally:
        page.close()


def test_every_page_loaded_is_checked_and_one_left_unchecked_fails(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = AuditedPage(context.new_page())
    try:
        page.goto("/")
        page.locator('header.site a[href^="/login"]').click()
        page.wait_for_url("**/login")
        assert [url.removeprefix(live_server) for url in page.audited] == ["/", "/login"]
        # Two pages loaded with no call through the audited page between them: the first went unchecked.
        page._page.goto("/register")
        page._page.goto("/")
        with pytest.raises(AssertionError, match="pages left before axe could check them.*/register"):
            page.title()
    finally:
        context.close()
