"""The leaderboard page of a challenge scored at several sites: a column per site, pending rows unranked."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.platform.agent_support import SITES
from tests.platform.test_agent_sites import post_site, uneven_predictions
from tests.platform.test_leaderboard_pages import close, login


class Rows(HTMLParser):
    """Collect the leaderboard table's rows: each row's attributes and its cells' text by data-col."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[dict, dict[str, str]]] = []
        self.headers: list[str] = []
        self._col: str | None = None
        self._th = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and ("data-team-id" in attrs or "data-pending-id" in attrs):
            self.rows.append((attrs, {}))
        elif tag == "td" and "data-col" in attrs and self.rows:
            self._col = attrs["data-col"]
            self.rows[-1][1][self._col] = ""
        elif tag == "th":
            self._th = True
            self.headers.append("")

    def handle_endtag(self, tag):
        if tag == "td":
            self._col = None
        elif tag == "th":
            self._th = False

    def handle_data(self, data):
        if self._col is not None:
            self.rows[-1][1][self._col] += data
        elif self._th:
            self.headers[-1] += data


def table_of(client, challenge, split: str = "public") -> Rows:
    response = client.get(f"/challenges/{challenge.slug}/leaderboard" + ("?split=private" if split == "private" else ""))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    parser = Rows()
    parser.feed(html[html.index('data-lb="table"'):html.index("</table>")])
    return parser


def two_sites_one_pending(client, challenge, agent_token, make_submission, make_team):  # noqa: F811
    """Score one team's submission at both sites and another's at odense only."""
    tokens = {site: agent_token(challenge, name=site, site=site)[1] for site in SITES}
    data = uneven_predictions()
    make_submission(challenge, team=make_team(challenge, name="Both sites"), data=data)
    for site in SITES:
        post_site(client, challenge, tokens[site], site, data)
    waiting = make_submission(challenge, team=make_team(challenge, name="Odense only"), data=data)
    post_site(client, challenge, tokens["odense"], "odense", data)
    return waiting


def test_each_site_has_a_column_and_a_partly_scored_submission_is_pending_and_unranked(
        client, site_challenge, agent_token, make_submission, make_team):  # noqa: F811
    challenge = site_challenge()
    waiting = two_sites_one_pending(client, challenge, agent_token, make_submission, make_team)

    table = table_of(client, challenge)
    assert any(h.startswith("odense") for h in table.headers) and any(h.startswith("copenhagen") for h in table.headers)
    assert any("mean of sites" in h for h in table.headers)
    (ranked, ranked_cells), (pending, pending_cells) = table.rows
    assert ranked_cells["team"] == "Both sites" and ranked_cells["rank"] == "1"
    # Right at odense, backwards at copenhagen: each column shows its own site's score and CI.
    assert ranked_cells["site:odense"].startswith("1.0000") and ranked_cells["site:copenhagen"].startswith("0.0000")
    assert " – " in ranked_cells["site:odense"]
    assert ranked_cells["score"] == "0.5000"
    assert pending["data-pending-id"] == str(waiting.id) and "data-team-id" not in pending
    assert pending_cells["team"].startswith("Odense only") and "unranked" in pending_cells["team"]
    assert pending_cells["rank"] == "—" and pending_cells["score"] == "—"
    assert pending_cells["site:copenhagen"] == "pending" and pending_cells["site:odense"].startswith("1.0000")


def test_the_worst_site_board_says_so(client, site_challenge, agent_token, make_submission, make_team):  # noqa: F811
    challenge = site_challenge("worst")
    two_sites_one_pending(client, challenge, agent_token, make_submission, make_team)
    table = table_of(client, challenge)
    assert any("worst site" in h for h in table.headers) and not any("mean of sites" in h for h in table.headers)
    assert table.rows[0][1]["score"] == "0.0000"


def test_the_private_site_columns_follow_the_private_rules(
        client, site_challenge, agent_token, make_submission, make_team, make_user):  # noqa: F811
    challenge = site_challenge()
    two_sites_one_pending(client, challenge, agent_token, make_submission, make_team)
    for url in (f"/challenges/{challenge.slug}/leaderboard?split=private",
                f"/challenges/{challenge.slug}/leaderboard.json?split=private"):
        assert client.get(url).status_code == 403, url

    login(client, make_user("organiser@example.org").email)
    table = table_of(client, challenge, "private")
    (_, ranked), (_, pending) = table.rows
    assert ranked["site:copenhagen"].startswith("0.0000") and pending["site:copenhagen"] == "pending"
    client.post("/logout")
    client._cookies.clear()

    close(challenge)
    assert table_of(client, challenge, "private").rows[1][1]["site:copenhagen"] == "pending"


def test_a_board_without_sites_has_no_site_columns(client, make_challenge):
    challenge = make_challenge()
    html = client.get(f"/challenges/{challenge.slug}/leaderboard").get_data(as_text=True)
    assert "data-sites" not in html and "site:" not in html and "pending" not in html
