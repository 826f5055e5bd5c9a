"""Who may take part: `access: {approval: open | required, allowed_domains: [...], questions: [...]}`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from ultrathon.i18n import gettext as _

from .strict import StrictModel
from .vocabulary import Path

QUESTION_NAME_RULE = r"^[a-z][a-z0-9_]{0,39}$"
MAX_ANSWER = 2000
# One or more dot-separated labels of letters, digits and inner hyphens, ending in a top-level label of letters.
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class AccessQuestion(StrictModel):
    """One registration question, e.g. {name: affiliation, label: Your institution, required: true}."""

    name: str = Field(pattern=QUESTION_NAME_RULE)
    label: str = Field(min_length=1, max_length=200)
    required: bool = True


class AccessSpec(StrictModel):
    """Whether joining waits for an organiser's approval, which addresses pass at once, and what people answer."""

    approval: Literal["open", "required"] = "open"
    allowed_domains: list[str] = Field(default_factory=list)
    questions: list[AccessQuestion] = Field(default_factory=list)

    @field_validator("allowed_domains")
    @classmethod
    def _lowercase(cls, value: list[str]) -> list[str]:
        return [d.strip().lower() for d in value]  # domain_problems() says which ones are malformed

    @property
    def required(self) -> bool:
        """Return whether taking part waits for an organiser's (or a domain's) approval."""
        return self.approval == "required"

    @property
    def asks(self) -> bool:
        """Return whether joining needs an access request first: approval is required, or there are questions."""
        return self.required or bool(self.questions)

    def domain_allows(self, email: str) -> str | None:
        """Return the allowed domain the address belongs to (itself or a subdomain of it), if any."""
        host = (email or "").rpartition("@")[2].strip().lower()
        for domain in self.allowed_domains:
            if host == domain or host.endswith("." + domain):
                return domain
        return None


def access_problems(raw: dict) -> list[tuple[Path, str]]:
    """Return what is wrong across access's keys: malformed or repeated domains, repeated question names."""
    access = raw.get("access")
    if not isinstance(access, dict):
        return []
    out: list[tuple[Path, str]] = []
    domains = access.get("allowed_domains") if isinstance(access.get("allowed_domains"), list) else []
    seen: set[str] = set()
    for i, domain in enumerate(domains):
        if not isinstance(domain, str):
            continue  # the schema says it is not text
        cleaned = domain.strip().lower()
        if "@" in cleaned or not _DOMAIN.match(cleaned):
            out.append((("access", "allowed_domains", i), _(
                "%(domain)s is not an e-mail domain; write the part after @, e.g. regionh.dk (its subdomains are "
                "accepted too)", domain=repr(domain))))
        elif cleaned in seen:
            out.append((("access", "allowed_domains", i), _("domain %(domain)s is listed twice", domain=repr(cleaned))))
        seen.add(cleaned)
    if domains and access.get("approval", "open") != "required":
        out.append((("access", "allowed_domains"), _(
            "applies only with approval: required; with open approval everyone is accepted already")))
    questions = access.get("questions") if isinstance(access.get("questions"), list) else []
    names: set[str] = set()
    for i, question in enumerate(questions):
        name = question.get("name") if isinstance(question, dict) else None
        if isinstance(name, str) and name in names:
            out.append((("access", "questions", i, "name"), _(
                "question %(name)s is listed twice; give each its own name", name=repr(name))))
        if isinstance(name, str):
            names.add(name)
    return out
