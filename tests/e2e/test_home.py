"""The home page in a real browser, served as production serves it."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_home_page_lists_loaded_challenges(page, make_challenge, screenshot):
    challenge = make_challenge("breast-cancer-diagnosis")
    page.goto("/")
    assert page.title() == "Ultrathon"
    link = page.get_by_role("link", name=challenge.title)
    assert link.is_visible()
    screenshot(page, "home")
