"""A small client for the Ultrathon REST API, used by the `ultrathon` CLI and by scripts.

It speaks only the public API (docs/api.md). The base URL and the token come from the
ULTRATHON_URL and ULTRATHON_TOKEN variables, else from `config.toml` (or `config.json`) in the
user's config folder, e.g. ~/.config/ultrathon/config.toml:

    url = "https://ultrathon.example.org"
    token = "ut_..."
"""

from __future__ import annotations

import json
import os
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ultrathon.i18n import N_, current_language, gettext as _

FINAL_STATUSES = ("scored", "failed")
# The API's status values, in words each of our languages has.
STATUS_WORDS = {"queued": N_("queued"), "scoring": N_("scoring"), "scored": N_("scored"), "failed": N_("failed")}
QUOTA_PROBLEM = "urn:ultrathon:problem:quota-reached"
RATE_LIMIT_PROBLEM = "urn:ultrathon:problem:rate-limited"
MAX_RATE_LIMIT_WAIT_S = 60


class ClientConfigError(Exception):
    """The URL or token is missing or malformed; the message says where to set it."""


@dataclass
class ApiError(Exception):
    """An API answer that is not a success, read from its problem document."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    problems: list[dict[str, Any]] = field(default_factory=list)
    quota: dict[str, Any] | None = None
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"

    @property
    def is_auth(self) -> bool:
        """Return whether the token is missing, wrong or lacks the right."""
        return self.status in (401, 403)

    @property
    def is_quota(self) -> bool:
        """Return whether the team's submission quota refused the call."""
        return self.type == QUOTA_PROBLEM


def config_path() -> Path:
    """Return the folder holding the client's config file."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("ultrathon"))


def _read_config_file() -> tuple[Path, dict[str, Any]]:
    """Return the config file found (or the one to create) and what it holds."""
    folder = config_path()
    for name in ("config.toml", "config.json"):
        path = folder / name
        if not path.exists():
            continue
        try:
            text = path.read_text()
            data = tomllib.loads(text) if name.endswith(".toml") else json.loads(text)
        except (ValueError, OSError) as exc:
            raise ClientConfigError(_("%(path)s: cannot be read: %(reason)s", path=path, reason=exc)) from None
        if not isinstance(data, dict):
            raise ClientConfigError(_("%(path)s: must hold `url` and `token`", path=path))
        return path, data
    return folder / "config.toml", {}


def load_config(environ: dict[str, str] | os._Environ = os.environ) -> tuple[str, str]:
    """Return (base URL, token): from ULTRATHON_URL / ULTRATHON_TOKEN, else from the config file."""
    url, token = environ.get("ULTRATHON_URL") or "", environ.get("ULTRATHON_TOKEN") or ""
    if not (url and token):
        path, data = _read_config_file()
        url, token = url or str(data.get("url") or ""), token or str(data.get("token") or "")
    else:
        path = None
    if not url:
        raise ClientConfigError(_("no server URL: set ULTRATHON_URL or `url` in %(path)s", path=path) if path
                                else _("no server URL: set ULTRATHON_URL"))
    if not url.startswith(("http://", "https://")):
        raise ClientConfigError(_("the server URL must start with http:// or https://, got %(url)s", url=repr(url)))
    if not token:
        raise ClientConfigError(
            _("no API token: set ULTRATHON_TOKEN or `token` in %(path)s; create one on your account page or with "
              "`ultrathon tokens create EMAIL`", path=path) if path
            else _("no API token: set ULTRATHON_TOKEN; create one on your account page or with "
                   "`ultrathon tokens create EMAIL`"))
    return url.rstrip("/"), token


def status_word(status: str) -> str:
    """Return a submission status in the current language (a status this client does not know, as the API sent it)."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


class Client:
    """Calls to one Ultrathon server with one token."""

    def __init__(self, base_url: str, token: str | None, *, timeout: float = 60, session: requests.Session | None = None,
                 language: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.language = language  # of the server's messages; None: the current one (ultrathon.i18n) at each call
        self.timeout = timeout
        self.session = session or requests.Session()
        # A dropped keep-alive connection or a restarting server should not fail a long --wait;
        # only reads are retried, so an upload is never sent twice.
        retry = Retry(total=5, connect=5, read=3, status=0, other=0, backoff_factor=0.5,
                      allowed_methods=frozenset({"GET", "HEAD"}), raise_on_status=False)
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, HTTPAdapter(max_retries=retry))
        self.session.headers["User-Agent"] = "ultrathon-client"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def from_environment(cls) -> Client:
        """Build a client from ULTRATHON_URL / ULTRATHON_TOKEN or the config file."""
        return cls(*load_config())

    # ---- plumbing --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path (absolute paths from the server pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        if not path.startswith("/"):
            path = "/api/v1/" + path
        return self.base_url + path

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a request; wait out a rate limit (up to a minute); raise ApiError on an error answer."""
        kwargs.setdefault("timeout", self.timeout)
        # The server writes its problem details in the language the reader of this client's messages reads.
        kwargs["headers"] = {"Accept-Language": self.language or current_language(), **(kwargs.get("headers") or {})}
        while True:
            response = self.session.request(method, self.url(path), **kwargs)
            if response.ok:
                return response
            error = self._error(response)
            waited = error.type == RATE_LIMIT_PROBLEM and error.retry_after is not None
            if waited and error.retry_after <= MAX_RATE_LIMIT_WAIT_S and method == "GET":
                time.sleep(max(1, error.retry_after))
                continue
            raise error

    @staticmethod
    def _error(response: requests.Response) -> ApiError:
        retry_after = response.headers.get("Retry-After")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return ApiError(response.status_code, response.reason or _("Error"),
                            _("the server answered %(status)s without a problem document (is %(url)s an Ultrathon "
                              "server?)", status=response.status_code, url=response.url),
                            retry_after=int(retry_after) if (retry_after or "").isdigit() else None)
        return ApiError(
            status=response.status_code,
            title=str(body.get("title") or response.reason),
            detail=str(body.get("detail") or ""),
            type=str(body.get("type") or "about:blank"),
            problems=list(body.get("problems") or []),
            quota=body.get("quota"),
            retry_after=int(retry_after) if (retry_after or "").isdigit() else None,
        )

    def get_json(self, path: str, **params: Any) -> Any:
        """GET a JSON document."""
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None}).json()

    def pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Yield every item of a paginated list, following next_cursor."""
        cursor = None
        while True:
            page = self.get_json(path, cursor=cursor, **params)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    # ---- operations ------------------------------------------------------------------------

    def challenges(self) -> list[dict[str, Any]]:
        """Return every loaded challenge."""
        return list(self.pages("challenges"))

    def challenge(self, slug: str) -> dict[str, Any]:
        """Return one challenge, with its public files and the caller's team."""
        return self.get_json(f"challenges/{_segment(slug)}")

    def create_team(self, slug: str, name: str, *, accept_terms: bool = False) -> dict[str, Any]:
        """Create a team in a challenge with the caller as owner."""
        return self.request("POST", f"challenges/{_segment(slug)}/teams",
                            json={"name": name, "accept_terms": accept_terms}).json()

    def join_team(self, team_id: int, code: str, *, accept_terms: bool = False) -> dict[str, Any]:
        """Join a team with its invite code."""
        return self.request("POST", f"teams/{int(team_id)}/members", json={"code": code, "accept_terms": accept_terms}).json()

    def download(self, slug: str, name: str, folder: str | Path = ".") -> Path:
        """Download one public file into a folder; return its path."""
        if Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(_("%(name)s is not a plain file name", name=repr(name)))
        response = self.request("GET", f"challenges/{_segment(slug)}/files/{_segment(name)}", stream=True)
        target = Path(folder) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        with open(partial, "wb") as handle:
            for chunk in response.iter_content(1 << 16):
                handle.write(chunk)
        partial.replace(target)
        return target

    def download_all(self, slug: str, folder: str | Path = ".") -> list[Path]:
        """Download every public file of a challenge into a folder."""
        return [self.download(slug, f["name"], folder) for f in self.challenge(slug)["files"]]

    def submit(self, slug: str, path: str | Path, note: str = "", phase: str | None = None) -> dict[str, Any]:
        """Upload a prediction file to a phase (the current one by default); return `{id, status, phase, url, quota}`."""
        path = Path(path)
        with open(path, "rb") as handle:
            return self.request("POST", f"challenges/{_segment(slug)}/submissions",
                                files={"file": (path.name, handle, "text/csv")},
                                data={k: v for k, v in (("note", note), ("phase", phase)) if v} or None).json()

    def submission(self, submission_id: int) -> dict[str, Any]:
        """Return one submission."""
        return self.get_json(f"submissions/{int(submission_id)}")

    def submissions(self, slug: str, phase: str | None = None) -> list[dict[str, Any]]:
        """Return every submission of the caller's team in a phase (the current one by default), newest first."""
        return list(self.pages(f"challenges/{_segment(slug)}/submissions", phase=phase))

    def submissions_page(self, slug: str, limit: int | None = None, phase: str | None = None) -> dict[str, Any]:
        """Return the first page of the team's submissions in a phase with the team and its quota."""
        return self.get_json(f"challenges/{_segment(slug)}/submissions", limit=limit, phase=phase)

    def select(self, submission_id: int, chosen: bool = True) -> dict[str, Any]:
        """Choose (or unchoose) a final submission."""
        return self.request("PUT" if chosen else "DELETE", f"submissions/{int(submission_id)}/selection").json()

    def commit(self, slug: str, sha256: str, *, phase: str | None = None, label: str = "") -> dict[str, Any]:
        """Commit the SHA-256 of a model or code archive for a phase that has not opened (the next by default)."""
        body = {"sha256": sha256, "label": label, **({"phase": phase} if phase else {})}
        return self.request("POST", f"challenges/{_segment(slug)}/commitments", json=body).json()

    def commitments(self, slug: str, phase: str | None = None) -> dict[str, Any]:
        """Return the team's commitments for a phase (the next to open by default), with the phase."""
        return self.get_json(f"challenges/{_segment(slug)}/commitments", phase=phase)

    def leaderboard(self, slug: str, split: str = "public", phase: str | None = None) -> dict[str, Any]:
        """Return a whole leaderboard of a phase (the current one by default), every page of entries gathered."""
        board: dict[str, Any] | None = None
        cursor = None
        while True:
            page = self.get_json(f"challenges/{_segment(slug)}/leaderboard", split=split, cursor=cursor, limit=100,
                                 phase=phase)
            if board is None:
                board = page
            else:
                board["entries"].extend(page["entries"])
            cursor = page.get("next_cursor")
            if not cursor:
                board["next_cursor"] = None
                return board

    def wait(self, submission_id: int, *, timeout: float = 1800, interval: float = 2.0,
             on_status: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Poll a submission until it is scored or failed; raise TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        last_status = None
        while True:
            submission = self.submission(submission_id)
            if on_status is not None and submission["status"] != last_status:
                on_status(submission)
            last_status = submission["status"]
            if submission["status"] in FINAL_STATUSES:
                return submission
            if time.monotonic() >= deadline:
                raise TimeoutError(_("submission %(id)s is still %(status)s after %(seconds)s s", id=submission_id,
                                     status=status_word(last_status), seconds=format(timeout, "g")))
            time.sleep(interval)
            interval = min(interval * 1.5, 15.0)  # poll gently on long queues


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 of a file, read here in pieces; the file itself is never sent."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _segment(value: str) -> str:
    """Quote one path segment so it can never add or climb a level."""
    from urllib.parse import quote

    return quote(str(value), safe="")
