"""The command line speaks its reader's language: Danish from LANG, Swedish from ULTRATHON_LANG, English else."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ultrathon.cli import cli
from ultrathon.i18n import speaking
from ultrathon.platform.config import ConfigError, load_settings
from ultrathon.spec import schema_problems

GOOD = Path(__file__).parent / "challenges" / "good"
# Every variable the language is read from, unset, so that each test's own choice alone decides.
NO_LANGUAGE = dict.fromkeys(("ULTRATHON_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"))
ENVIRONMENTS = {
    "da": {**NO_LANGUAGE, "LANG": "da_DK.UTF-8"},
    "sv": {**NO_LANGUAGE, "LANG": "da_DK.UTF-8", "ULTRATHON_LANG": "sv"},  # ULTRATHON_LANG comes before the locale
    "en": {**NO_LANGUAGE, "LANG": "C.UTF-8"},
}
BROKEN_FOLDER_LINES = {
    "da": ["challenge.yaml:13: data.targte: ukendt nøgle 'targte'; mente du 'target'?",
           "challenge.yaml:16: submission.max_mb: skal være mindre end eller lig med 500",
           "no-such-folder:1: (fil): ingen sådan konkurrencemappe"],
    "sv": ["challenge.yaml:13: data.targte: okänd nyckel 'targte'; menade du 'target'?",
           "challenge.yaml:16: submission.max_mb: ska vara mindre än eller lika med 500",
           "no-such-folder:1: (fil): ingen sådan tävlingsmapp"],
    "en": ["challenge.yaml:13: data.targte: unknown key 'targte'; did you mean 'target'?",
           "challenge.yaml:16: submission.max_mb: should be less than or equal to 500",
           "no-such-folder:1: (file): no such challenge folder"],
}


def run(args: list[str], language: str, **extra: str | None):
    """Run `ultrathon ARGS` in-process with the environment that asks for `language`."""
    return CliRunner().invoke(cli, args, env={**ENVIRONMENTS[language], **extra})


@pytest.fixture
def broken_folder(tmp_path, monkeypatch) -> Path:
    """A challenge folder with a misspelt key and a value above its limit, in the working folder."""
    folder = tmp_path / "challenge"
    shutil.copytree(GOOD, folder)
    yaml_path = folder / "challenge.yaml"
    text = yaml_path.read_text().replace("  target: {time", "  targte: {time")
    yaml_path.write_text(text.replace("  columns: [risk]", "  columns: [risk]\n  max_mb: 9000"))
    monkeypatch.chdir(tmp_path)
    return Path("challenge")


@pytest.mark.parametrize("language", ["da", "sv", "en"])
def test_validate_reports_a_broken_folder_in_the_language_asked_for(broken_folder, language):
    result = run(["challenges", "validate", str(broken_folder), "no-such-folder"], language)
    assert result.exit_code == 1
    lines = [line.removeprefix(f"{broken_folder}/") for line in result.output.splitlines()]
    assert lines == BROKEN_FOLDER_LINES[language]


@pytest.mark.parametrize(("language", "unknown", "missing"), [
    ("da", "ukendt nøgle 'targte'; mente du 'target'?", "mangler: denne nøgle er påkrævet"),
    ("sv", "okänd nyckel 'targte'; menade du 'target'?", "saknas: den här nyckeln krävs"),
])
def test_the_schema_names_a_bad_key_in_danish_and_swedish(language, unknown, missing):
    raw = yaml.safe_load((GOOD / "challenge.yaml").read_text())
    raw["data"]["targte"] = raw["data"].pop("target")
    del raw["title"]
    with speaking(language):
        problems = {problem.key: problem.message for problem in schema_problems(raw)}
    # The misspelling is reported once, at the key written; the key it meant is not also "missing".
    assert problems == {"data.targte": unknown, "title": missing}


@pytest.mark.parametrize(("language", "too_long", "not_a_number"), [
    ("da", "må højst have 200 tegn", "skal være et heltal, fik tekst 'five'"),
    ("sv", "får ha högst 200 tecken", "ska vara ett heltal, fick text 'five'"),
    ("en", "should have at most 200 characters", "should be a whole number, got text 'five'"),
])
def test_pydantic_errors_are_said_by_type_with_their_limits(language, too_long, not_a_number):
    raw = yaml.safe_load((GOOD / "challenge.yaml").read_text())
    raw["title"], raw["limits"] = "x" * 201, {"per_day": "five"}
    with speaking(language):
        problems = {problem.key: problem.message for problem in schema_problems(raw)}
    assert problems == {"title": too_long, "limits.per_day": not_a_number}


def test_help_texts_are_translated():
    danish = run(["submit", "--help"], "da").output
    assert "Upload en fil med forudsigelser FILE til konkurrencen SLUG." in danish
    assert "Følg indsendelsen, indtil den er scoret eller fejlet." in danish
    swedish = run(["--help"], "sv").output
    assert "Validera, läs in och lista tävlingsmappar." in swedish


def test_a_missing_server_url_is_said_in_swedish(tmp_path):
    result = run(["submissions", "any-challenge"], "sv", ULTRATHON_URL=None, ULTRATHON_TOKEN=None,
                 HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    assert result.exit_code == 2
    assert result.output.startswith("fel: ingen server-URL: sätt ULTRATHON_URL eller `url` i ")


def test_a_bad_setting_is_said_in_danish():
    with speaking("da"), pytest.raises(ConfigError) as caught:
        load_settings({"ULTRATHON_MAX_UPLOAD_MB": "lots", "ULTRATHON_ENV": "staging"})
    assert str(caught.value) == ("ULTRATHON_ENV skal være development, production eller test, fik 'staging'; "
                                 "ULTRATHON_MAX_UPLOAD_MB skal være et heltal, fik 'lots'")


def test_a_refused_call_to_the_test_server_is_reported_in_danish(live_server):
    result = run(["submissions", "any-challenge"], "da", ULTRATHON_URL=live_server, ULTRATHON_TOKEN="ut_not-a-token")
    assert result.exit_code == 2, result.output  # an auth error
    assert result.output.startswith("fejl: 401 ")


class _Refusing(BaseHTTPRequestHandler):
    """A server that refuses every call with a problem document and remembers the languages asked for."""

    asked: list[str | None] = []

    def do_GET(self):
        type(self).asked.append(self.headers.get("Accept-Language"))
        body = json.dumps({"title": "Förbjudet", "detail": "ert lag är avstängt"}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def refusing_server():
    """Serve _Refusing on a free port for one test; yield its URL and the languages its requests asked for."""
    _Refusing.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Refusing.asked
    server.shutdown()
    server.server_close()


def test_the_client_asks_the_server_for_the_cli_language(refusing_server):
    url, asked = refusing_server
    result = run(["leaderboard", "any-challenge"], "sv", ULTRATHON_URL=url, ULTRATHON_TOKEN="ut_x")
    assert asked == ["sv"]  # so the server writes its problem details in Swedish too
    assert result.exit_code == 2
    assert result.output == "fel: 403 Förbjudet: ert lag är avstängt\n"
