"""Schemathesis against the real app and its OpenAPI document: no 5xx, every answer as documented.

Stateless and bounded (MAX_EXAMPLES per operation), with a real token of a user in a team, so
generated requests reach the handlers rather than stopping at authentication. The document must
also say what the server takes: a request that fits it is not refused as malformed (400), and one
that does not fit it is refused.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ultrathon.platform.api.openapi import openapi_document
from ultrathon.platform.auth.tokens import create_token
from ultrathon.platform.extensions import db
from ultrathon.platform.headers import SECURITY_HEADERS

MAX_EXAMPLES = 20
UPLOAD = "POST /api/v1/challenges/{slug}/submissions"
METHOD_CARD = "PUT /api/v1/submissions/{id}/method-card"
# Refusals of what only the challenge knows: a file's columns and ids, a method card's fields.
CHALLENGE_SPECIFIC = {UPLOAD: "urn:ultrathon:problem:invalid-submission",
                      METHOD_CARD: "urn:ultrathon:problem:invalid-method-card"}


def fitting_data_is_accepted(ctx, response, case):
    """Check positive_data_acceptance, save for a file or a card whose content the challenge refuses."""
    # Which columns and ids a file needs, and which fields a card has, are the challenge's, beyond
    # what a schema can say; the document names these 400s (with `problems`). Every other 400 still fails.
    kind = CHALLENGE_SPECIFIC.get(case.operation.label)
    if kind is not None and response.status_code == 400 and response.json().get("type") == kind:
        return None
    return positive_data_acceptance(ctx, response, case)


def unfit_data_is_refused(ctx, response, case):
    """Check negative_data_rejection, save for a case whose only other negation is extra query parameters."""
    # The document declares no header but the bearer token, which every request of this test carries
    # (call_and_validate's headers): a case that dropped it has it back, so what is left of its negation
    # is the extra query parameters schemathesis itself lets an API ignore.
    components = case.meta.components if case.meta is not None else {}
    negated = {location for location, info in components.items() if info.mode.is_negative}
    if ParameterLocation.HEADER in negated and negated <= {ParameterLocation.HEADER, ParameterLocation.QUERY} \
            and response.status_code < 400:
        return None
    return negative_data_rejection(ctx, response, case)


def carries_the_security_headers(ctx, response, case):
    """Check that the answer carries every security header the app sends."""
    for name, value in SECURITY_HEADERS:
        assert response.headers.get(name.lower()) == [value], f"{name} missing or changed on {case.operation.label}"


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance,
          fitting_data_is_accepted, unfit_data_is_refused, carries_the_security_headers]

pytestmark = pytest.mark.slow


@pytest.fixture
def caller(app, make_challenge, make_team, make_submission):
    """A bearer header of a member of a team with a submission, the API limit raised for the run."""
    challenge = make_challenge("breast-cancer-diagnosis")
    team = make_team(challenge, name="Fuzzers")
    make_submission(challenge, team)
    _, secret = create_token(team.memberships[0].user, "schemathesis")
    db.session.commit()
    saved = app.config["ULTRATHON_API_RATE_LIMIT"]
    app.config["ULTRATHON_API_RATE_LIMIT"] = "100000 per minute"
    yield {"Authorization": f"Bearer {secret}"}
    app.config["ULTRATHON_API_RATE_LIMIT"] = saved


# The document the app serves (test_openapi checks it is this one), loaded without an app so
# the operations are known when pytest collects; each case is sent to the real app below.
schema = schemathesis.openapi.from_dict(openapi_document())
schema.config.generation.update(modes=["positive", "negative"], max_examples=MAX_EXAMPLES, deterministic=True)
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
# An SSE response never ends; test_api_leaderboard reads the stream from a live server instead.
schema = schema.exclude(path="/api/v1/challenges/{slug}/events")


@schema.parametrize()
# One team and token serve every generated request of an operation, on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_api_keeps_its_document(case, app, caller):
    case.call_and_validate(app=app, headers=caller, checks=CHECKS)
