"""The public pages, their flashes, form errors and e-mails in Danish and Swedish."""

from __future__ import annotations

import logging

import pytest
from wtforms.validators import Optional

from ultrathon.platform.auth import forms
from ultrathon.platform.extensions import db

from .terms_support import login

DEMO = "breast-cancer-diagnosis"
DANISH = {"Accept-Language": "da-DK,da;q=0.9"}
SWEDISH = {"Accept-Language": "sv-SE"}


@pytest.fixture
def challenge(make_challenge):
    return make_challenge(DEMO)


def mails(caplog) -> list[str]:
    """Return each message the platform logged instead of sending (no SMTP in the tests): subject and body."""
    return [r.getMessage() for r in caplog.records if r.name == "ultrathon.mail"]


@pytest.mark.parametrize("headers, words, english", [
    (DANISH, ["Opret en konto", "E-mailadresse", "Vist navn", "Gentag adgangskoden", "Har du allerede en konto?"],
     "Create an account"),
    (SWEDISH, ["Skapa ett konto", "E-postadress", "Visningsnamn", "Upprepa lösenordet", "Har du redan ett konto?"],
     "Create an account"),
])
def test_the_register_page_speaks_the_browsers_language(client, headers, words, english):
    page = client.get("/register", headers=headers).get_data(as_text=True)
    for word in words:
        assert word in page, word
    assert english not in page


@pytest.mark.parametrize("headers, words", [
    (DANISH, ["Glemt din adgangskode?", "Hold mig logget ind på denne computer", "Adgangskode"]),
    (SWEDISH, ["Glömt ditt lösenord?", "Håll mig inloggad på den här datorn", "Lösenord"]),
])
def test_the_login_page_speaks_the_browsers_language(client, headers, words):
    page = client.get("/login", headers=headers).get_data(as_text=True)
    for word in words:
        assert word in page, word
    assert "Forgot your password?" not in page


@pytest.mark.parametrize("headers, errors", [
    (DANISH, ["Indtast din e-mailadresse.", "Indtast det navn, andre vil se.", "Adgangskoden skal være mindst 12 tegn lang.",
              "De to adgangskoder er forskellige."]),
    (SWEDISH, ["Ange din e-postadress.", "Ange det namn som andra kommer att se.", "Lösenordet måste vara minst 12 tecken långt.",
               "De två lösenorden skiljer sig åt."]),
])
def test_form_errors_are_in_the_pages_language(client, headers, errors):
    response = client.post("/register", data={"email": "", "name": "", "password": "short", "confirm": "other"},
                           headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for error in errors:
        assert error in page, error
    assert "This field is required" not in page and "Enter your e-mail address." not in page


@pytest.mark.parametrize("headers, refusal", [(DANISH, "Der findes allerede en konto for ada@example.org."),
                                               (SWEDISH, "Det finns redan ett konto för ada@example.org.")])
def test_an_account_refusal_under_the_form_is_in_the_pages_language(client, make_user, headers, refusal):
    make_user("ada@example.org")
    data = {"email": "ada@example.org", "name": "Ada", "password": "a long enough password", "confirm": "a long enough password"}
    response = client.post("/register", data=data, headers=headers)
    assert response.status_code == 400 and refusal in response.get_data(as_text=True)


def test_every_account_form_validator_has_its_own_message():
    # WTForms' own messages are English (and it has no Danish catalog): each validator names its own, translated.
    for form_class in (forms.RegisterForm, forms.LoginForm, forms.ResetRequestForm, forms.NewPasswordForm,
                       forms.PasswordChangeForm, forms.ProfileForm, forms.TokenForm, forms.EraseAccountForm):
        for name, unbound in vars(form_class).items():
            for validator in getattr(unbound, "kwargs", {}).get("validators", []):
                if not isinstance(validator, Optional):
                    assert validator.message is not None, f"{form_class.__name__}.{name}: {validator!r}"


@pytest.mark.parametrize("headers, flashed", [(DANISH, "Du er logget ud."), (SWEDISH, "Du är utloggad.")])
def test_a_flash_message_is_in_the_language_of_the_request_that_made_it(client, make_user, headers, flashed):
    login(client, make_user())
    assert client.post("/logout", headers=headers).status_code == 302
    page = client.get("/", headers=headers).get_data(as_text=True)
    assert flashed in page and "You are logged out." not in page


@pytest.mark.parametrize("headers, flashed", [(DANISH, "Log ind for at se den side."), (SWEDISH, "Logga in för att se den sidan.")])
def test_the_login_prompt_of_a_page_that_needs_one_is_in_the_language(client, challenge, headers, flashed):
    response = client.get(f"/challenges/{DEMO}/team", headers=headers)
    assert response.status_code == 302
    page = client.get(response.location, headers=headers).get_data(as_text=True)
    assert flashed in page and "Log in to see that page." not in page


@pytest.mark.parametrize("headers, words", [
    (DANISH, ["Tidslinje", "Sådan bliver du bedømt", "rangerer holdene — højere er bedre.", "binær klassifikation",
              "5 om dagen pr. hold, 150 i alt", "Vilkår for databrug", "Opret en konto</a> eller"]),
    (SWEDISH, ["Tidslinje", "Så poängsätts du", "rangordnar lagen — högre är bättre.", "binär klassificering",
               "5 per dag och lag, 150 totalt", "Villkor för dataanvändning", "Skapa ett konto</a> eller"]),
])
def test_the_challenge_page_speaks_the_browsers_language(client, challenge, headers, words):
    page = client.get(f"/challenges/{DEMO}", headers=headers).get_data(as_text=True)
    for word in words:
        assert word in page, word
    assert "How you are scored" not in page and "higher is better" not in page


@pytest.mark.parametrize("headers, words, refusal", [
    (DANISH, ["Dit hold", "Bliv medlem af et hold", "Opret et hold", "Invitationskode", "Holdnavn"],
     "Acceptér konkurrencens vilkår for databrug, før du opretter et hold."),
    (SWEDISH, ["Ditt lag", "Gå med i ett lag", "Skapa ett lag", "Inbjudningskod", "Lagnamn"],
     "Godkänn tävlingens villkor för dataanvändning innan du skapar ett lag."),
])
def test_the_team_page_and_its_refusals_speak_the_browsers_language(client, challenge, make_user, headers, words, refusal):
    login(client, make_user())
    page = client.get(f"/challenges/{DEMO}/team", headers=headers).get_data(as_text=True)
    for word in words:
        assert word in page, word
    refused = client.post(f"/challenges/{DEMO}/team", data={"name": "Vikings"}, headers=headers)
    assert refused.status_code == 403 and refusal in refused.get_data(as_text=True)


@pytest.mark.parametrize("language, subject, words", [
    ("da", "Nulstil din adgangskode til Ultrathon", ["Hej Ada", "Nogen (forhåbentlig dig)", "inden for 1 time ",
                                                     "Linket virker én gang."]),
    ("sv", "Återställ ditt lösenord för Ultrathon", ["Hej Ada,", "Någon (förhoppningsvis du)", "inom 1 timme ",
                                                     "Länken fungerar en gång."]),
])
def test_the_reset_mail_is_in_the_recipients_language_not_the_askers(client, make_user, caplog, language, subject, words):
    user = make_user("ada@example.org", "Ada")
    user.language = language
    db.session.commit()
    caplog.set_level(logging.INFO, logger="ultrathon.mail")
    # Asked from an English browser: the mail follows the person's setting; the page follows the browser.
    page = client.post("/reset-password", data={"email": "ada@example.org"}, headers={"Accept-Language": "en"})
    assert "a message with a reset link is on its way" in page.get_data(as_text=True)
    [mail] = mails(caplog)
    assert f"Subject: {subject}" in mail
    for word in words:
        assert word in mail, word
    assert "/reset-password/" in mail and "Hello" not in mail


@pytest.mark.parametrize("headers, subject, greeting", [
    (SWEDISH, "Återställ ditt lösenord för Ultrathon", "Hej Ada,"),
    ({}, "Reset your Ultrathon password", "Hello Ada,"),
])
def test_without_a_setting_the_reset_mail_follows_the_browser(client, make_user, caplog, headers, subject, greeting):
    make_user("ada@example.org", "Ada")
    caplog.set_level(logging.INFO, logger="ultrathon.mail")
    client.post("/reset-password", data={"email": "ada@example.org"}, headers=headers)
    [mail] = mails(caplog)
    assert f"Subject: {subject}" in mail and greeting in mail


@pytest.mark.parametrize("headers, subject, words", [
    (DANISH, "Bekræft din e-mailadresse til Ultrathon", ["Bekræft venligst, at ny@example.org er din e-mailadresse",
                                                         "inden for 48 timer:"]),
    (SWEDISH, "Verifiera din e-postadress för Ultrathon", ["Bekräfta att ny@example.org är din e-postadress",
                                                           "inom 48 timmar:"]),
])
def test_registering_mails_the_verification_link_and_flashes_the_welcome_in_the_language(client, caplog, headers,
                                                                                         subject, words):
    caplog.set_level(logging.INFO, logger="ultrathon.mail")
    data = {"email": "ny@example.org", "name": "Ny", "password": "a long enough password", "confirm": "a long enough password"}
    assert client.post("/register", data=data, headers=headers).status_code == 302
    [mail] = mails(caplog)
    assert f"Subject: {subject}" in mail
    for word in words:
        assert word in mail, word
    welcome = client.get("/", headers=headers).get_data(as_text=True)
    assert ("Velkommen, Ny." if headers is DANISH else "Välkommen, Ny.") in welcome


@pytest.mark.parametrize("headers, refusal", [(DANISH, "Der er ingen konkurrence ved navn &#39;ingen-her&#39;."),
                                               (SWEDISH, "Det finns ingen tävling som heter &#39;ingen-her&#39;.")])
def test_a_missing_challenge_is_refused_in_the_pages_language(client, ctx, headers, refusal):
    response = client.get("/challenges/ingen-her", headers=headers)
    assert response.status_code == 404 and refusal in response.get_data(as_text=True)
