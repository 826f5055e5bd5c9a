"""Text people type (team names, notes, display names, file names) shows as text on every page, never as markup."""

from __future__ import annotations

import io

PASSWORD = "correct horse battery staple"
DEMO = "breast-cancer-diagnosis"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def test_hostile_names_and_notes_render_inert(client, make_open_challenge, make_user):
    challenge = make_open_challenge(DEMO)
    user = make_user(name=HOSTILE)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.post(f"/challenges/{DEMO}/team", data={"name": HOSTILE, "accept": "yes"}).status_code == 302
    sample = next(f.content for f in challenge.files if f.name == "sample_submission.csv")
    response = client.post(f"/challenges/{DEMO}/submissions", headers={"Accept": "application/json"},
                           data={"file": (io.BytesIO(sample), HOSTILE + ".csv"), "note": HOSTILE})
    assert response.status_code == 202

    pages = {
        "team": client.get(f"/challenges/{DEMO}/team").get_data(as_text=True),
        "submissions": client.get(f"/challenges/{DEMO}/submissions").get_data(as_text=True),
        "overview": client.get(f"/challenges/{DEMO}").get_data(as_text=True),
        "account": client.get("/account").get_data(as_text=True),
        "row": client.get(f"/challenges/{DEMO}/submissions.json").get_json()["submissions"][0]["html"],
    }
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "<img src=x" not in html, name
    assert ESCAPED in pages["team"] and ESCAPED in pages["overview"] and ESCAPED in pages["account"]
    assert pages["submissions"].count(ESCAPED) >= 2  # the team's name and the note
    assert ESCAPED in pages["row"]
