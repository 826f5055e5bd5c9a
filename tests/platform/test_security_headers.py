"""Every answer carries the security headers, and no page holds script or style the policy would block."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ultrathon.platform.challenges.render import render_markdown
from ultrathon.platform.headers import SECURITY_HEADERS

TEMPLATES = Path(__file__).resolve().parents[2] / "ultrathon" / "platform" / "templates"
ORGANISER = "organiser@example.org"  # listed in every demo challenge's YAML
URL_ATTRIBUTES = {"href", "src", "action", "formaction"}


class InlineCode(HTMLParser):
    """Collect what a `script-src 'self'; style-src 'self'` policy would refuse to run or apply."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and "src" not in values and values.get("type") != "application/json":
            self.found.append(f"inline <script> {self.getpos()}")
        if tag == "style":
            self.found.append(f"inline <style> {self.getpos()}")
        if tag in ("script", "link") and (values.get("src") or values.get("href") or "/").startswith(("//", "http")):
            self.found.append(f"<{tag}> from another site {values} {self.getpos()}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...> {self.getpos()}")
            elif name == "style":
                self.found.append(f"<{tag} style=...> {self.getpos()}")
            elif name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...> {self.getpos()}")

    handle_startendtag = handle_starttag


def inline_code(html: str) -> list[str]:
    """Return what in this HTML the content security policy would block."""
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


# A page with a secret in its address (a reset or unsubscribe link) sends no referrer at all: stricter still.
STRICTER = {"Referrer-Policy": {"no-referrer"}}


def assert_security_headers(response, what: str) -> None:
    for name, value in SECURITY_HEADERS:
        sent = response.headers.get_all(name)
        assert sent == [value] or (len(sent) == 1 and sent[0] in STRICTER.get(name, ())), f"{what}: {name}"


def login(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def site(make_open_challenge, make_user, make_team, make_submission, run_worker):
    """An open challenge with a participant's scored submission, and the values its URLs take."""
    challenge = make_open_challenge()
    participant = make_user()
    team = make_team(challenge, [participant], name="Owls")
    submission = make_submission(challenge, team)
    run_worker()
    organiser = make_user(ORGANISER, "Olga Organiser", admin=True)
    values = {"slug": challenge.slug, "submission_id": submission.id, "team_id": team.id, "name": "train.csv",
              "token": "not-a-reset-token", "filename": "ultrathon.css", "fmt": "csv"}
    return {"participant": participant, "organiser": organiser, "values": values}


def page_urls(app, values: dict) -> list[str]:
    """Return the URL of every GET route outside the API, its parameters filled from `values`."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.startswith("api.") or rule.endpoint == "auth.logout":
            continue
        missing = rule.arguments - set(values)
        assert not missing, f"{rule.rule}: give the test a value for {sorted(missing)}"
        urls.append(rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1])
    return sorted(urls)


@pytest.mark.parametrize("viewer", [None, "participant", "organiser"])
def test_every_page_carries_the_headers_and_no_inline_script_or_style(app, client, site, viewer):
    if viewer is not None:
        login(client, site[viewer])
    urls = page_urls(app, site["values"])
    assert len(urls) > 20
    for url in urls:
        response = client.get(url)
        assert response.status_code != 500, url  # /readyz is 503 with no worker running: still headed
        assert_security_headers(response, url)
        if response.mimetype == "text/html":
            assert inline_code(response.get_data(as_text=True)) == [], url
    if viewer == "participant":
        # The rows and quota the submissions page's script puts in place come as HTML in JSON.
        state = client.get(f"/challenges/{site['values']['slug']}/submissions.json").get_json()
        for html in [state["quota_html"], *(row["html"] for row in state["submissions"])]:
            assert inline_code(html) == []


@pytest.mark.parametrize("path, status", [
    ("/api/v1/challenges", 200),
    ("/api/v1/challenges/breast-cancer-diagnosis/submissions", 401),
    ("/api/v1/no-such-thing", 404),
    ("/no-such-page", 404),
    ("/challenges/breast-cancer-diagnosis/leaderboard.json", 200),
])
def test_api_answers_and_errors_carry_the_headers(client, make_challenge, path, status):
    make_challenge()
    response = client.get(path)
    assert response.status_code == status
    assert_security_headers(response, path)


def test_the_policy_allows_no_inline_script_or_style_and_no_framing():
    policy = dict(SECURITY_HEADERS)["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert dict(SECURITY_HEADERS)["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_holds_inline_script_or_style(template):
    # Pages the walk above cannot reach (an error, a state) still come from these files.
    text = template.read_text()
    offences = [
        *re.findall(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text),
        *re.findall(r"<style\b[^>]*>", text),
        *re.findall(r"\s(?:on[a-z]+|style)\s*=", text),
        *re.findall(r"javascript:", text, flags=re.I),
    ]
    assert offences == []


def test_markdown_tables_align_by_class_not_by_style():
    html = render_markdown("| id | age |\n|:--|--:|\n| P1 | 42 |\n\n<p style='color:red' onclick='x()'>hi</p>")
    assert inline_code(html) == []
    assert '<th class="align-left">id</th>' in html and '<td class="align-right">42</td>' in html


def test_every_page_names_its_icon_and_the_browsers_favicon_request_finds_it(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert client.get("/static/favicon.svg").status_code == 200
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml" and b"<svg" in answer.data
