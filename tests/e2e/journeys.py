"""What the browser journeys share: a page per language, checked by axe, and steps found without English text.

Selectors here use ids, name= attributes, form actions and hrefs, never the words on the page,
so the same journey runs in every language the platform speaks.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.accessibility import AuditedPage

LOCALES = {"en": "en-GB", "da": "da-DK", "sv": "sv-SE"}  # the browser's locale sets its Accept-Language
IN_EVERY_LANGUAGE = pytest.mark.parametrize("language", list(LOCALES))
# The header's words, as ultrathon/translations/{da,sv}/LC_MESSAGES/messages.po have them already.
HEADER_WORDS = {
    "en": {"log_in": "Log in", "log_out": "Log out", "leaderboard": "Leaderboard", "team": "Team"},
    "da": {"log_in": "Log ind", "log_out": "Log ud", "leaderboard": "Resultattavle", "team": "Hold"},
    "sv": {"log_in": "Logga in", "log_out": "Logga ut", "leaderboard": "Resultattavla", "team": "Lag"},
}
SUBMIT = "button[type=submit]"


def new_page(browser, live_server, language: str, **context_options) -> AuditedPage:
    """Open a page in a new browser context speaking the language; axe checks every page it loads."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                  locale=LOCALES[language], **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return AuditedPage(page)


def expect_language(page, language: str) -> None:
    """Assert the page is written in the language: its <html lang> and the header's words."""
    words = HEADER_WORDS[language]
    expect(page.locator("html")).to_have_attribute("lang", language)
    log_in = page.locator('header.site a[href^="/login"]')
    if log_in.count():
        expect(log_in).to_have_text(words["log_in"])
    else:
        expect(page.locator(f'header.site form[action="/logout"] {SUBMIT}')).to_have_text(words["log_out"])
    board = page.locator('.challenge-nav a[href$="/leaderboard"]')
    if board.count():
        expect(board).to_have_text(words["leaderboard"])
        expect(page.locator('.challenge-nav a[href$="/team"]')).to_have_text(words["team"])


def choose_language(page, language: str) -> None:
    """Pick the language with the header's picker and its button, and see the page come back in it."""
    page.locator("#language-picker").select_option(language)
    page.locator(f"form.language-picker {SUBMIT}").click()
    page.wait_for_function("lang => document.documentElement.lang === lang", arg=language)
    page.wait_for_load_state("load")
    expect_language(page, language)


def log_in(page, email: str, password: str) -> None:
    """Fill the login form the page shows and send it."""
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator(f"main form {SUBMIT}").click()


def register(page, email: str, name: str, password: str) -> None:
    """Send the registration form the page shows and land on the home page."""
    page.locator("#email").fill(email)
    page.locator("#name").fill(name)
    page.locator("#password").fill(password)
    page.locator("#confirm").fill(password)
    page.locator(f"main form {SUBMIT}").click()
    page.wait_for_url(re.compile(r"/$"))


def flash(page):
    """Return the flashed messages' box."""
    return page.locator(".flashes")
