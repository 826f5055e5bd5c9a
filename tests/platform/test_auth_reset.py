"""Password reset: an e-mailed (or logged) link that expires after an hour and works once."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import logging
import re
import socketserver
import threading

import pytest

from ultrathon.platform.auth.reset import ResetLinkError, make_reset_token, user_for_reset_token
from ultrathon.platform.auth.service import verify_password
from ultrathon.platform.extensions import db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new and long password"
LINK = re.compile(r"https?://[^\s]+/reset-password/[A-Za-z0-9_.\-]+")


def logged_link(caplog) -> str:
    [record] = [r for r in caplog.records if r.name == "ultrathon.mail"]
    return LINK.search(record.getMessage()).group(0)


def test_without_smtp_the_link_is_logged_and_works_once(client, make_user, caplog):
    user = make_user("ada@example.org")
    caplog.set_level(logging.INFO, logger="ultrathon.mail")
    response = client.post("/reset-password", data={"email": "ada@example.org"})
    assert response.status_code == 200
    assert "a message with a reset link is on its way" in response.get_data(as_text=True)
    path = "/reset-password/" + logged_link(caplog).rsplit("/", 1)[1]

    form = client.get(path)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/login"
    db.session.refresh(user)
    assert verify_password(user, NEW_PASSWORD) and not verify_password(user, PASSWORD)

    again = client.get(path)
    assert again.status_code == 400
    assert "This reset link has been used already." in again.get_data(as_text=True)
    assert client.post(path, data={"password": "yet another long password", "confirm": "yet another long password"}).status_code == 400
    db.session.refresh(user)
    assert verify_password(user, NEW_PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, ctx, caplog):
    caplog.set_level(logging.INFO, logger="ultrathon.mail")
    response = client.post("/reset-password", data={"email": "nobody@example.org"})
    assert response.status_code == 200
    assert "a message with a reset link is on its way" in response.get_data(as_text=True)
    assert [r for r in caplog.records if r.name == "ultrathon.mail"] == []


def test_a_short_new_password_is_refused_and_the_link_still_works(client, make_user):
    user = make_user()
    path = f"/reset-password/{make_reset_token(user)}"
    response = client.post(path, data={"password": "too short", "confirm": "too short"})
    assert response.status_code == 400
    assert "at least 12 characters" in response.get_data(as_text=True)
    assert client.get(path).status_code == 200


def test_expired_and_tampered_links_say_why(client, make_user):
    user = make_user()
    token = make_reset_token(user)
    with pytest.raises(ResetLinkError, match="expired"):
        user_for_reset_token(token, max_age=-1)
    response = client.get(f"/reset-password/{token[:-3]}xyz")
    assert response.status_code == 400
    assert "This reset link is not valid." in response.get_data(as_text=True)


class _SmtpSink(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server to receive one message (no TLS, no auth)."""

    def handle(self):
        self.wfile.write(b"220 sink ESMTP\r\n")
        lines, in_data = [], False
        while line := self.rfile.readline():
            if in_data:
                if line == b".\r\n":
                    self.server.messages.append(b"".join(lines).decode())
                    lines, in_data = [], False
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                in_data = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server(app):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSink)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = app.config["ULTRATHON"]
    app.config["ULTRATHON"] = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=server.server_address[1],
        mail_from="challenges@example.org", base_url="https://ultrathon.example.org/")
    yield server
    app.config["ULTRATHON"] = settings
    server.shutdown()
    server.server_close()


def test_with_smtp_the_link_is_mailed_on_the_configured_address(client, make_user, smtp_server):
    make_user("ada@example.org")
    assert client.post("/reset-password", data={"email": "ada@example.org"}).status_code == 200
    [raw] = smtp_server.messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["To"] == "ada@example.org" and message["From"] == "challenges@example.org"
    link = LINK.search(message.get_content()).group(0)
    assert link.startswith("https://ultrathon.example.org/reset-password/")
    assert client.get(link.removeprefix("https://ultrathon.example.org")).status_code == 200
