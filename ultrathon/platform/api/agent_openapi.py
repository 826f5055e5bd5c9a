"""The agent API's part of the OpenAPI document (joined to the rest by openapi._document)."""

from __future__ import annotations

from typing import Any

from .agent_routes import MAX_WAIT_S
from .openapi import TIME, _errors, _json, _operation, obj, ref

AGENT = [{"agentAuth": []}]
JOB_ID = {"name": "job_id", "in": "path", "required": True, "description": "The `id` of a leased job.",
          "schema": {"type": "string", "minLength": 1, "maxLength": 64}, "example": "lease-1-0123456789ab"}

AGENT_SCHEMAS: dict[str, Any] = {
    "LeaseRequest": obj(
        [], wait={"type": "number", "minimum": 0, "maximum": MAX_WAIT_S, "default": MAX_WAIT_S,
                  "description": "Seconds to wait for a job when none is waiting (a long poll)."}),
    "AgentJob": obj(
        ["id", "submission_id", "challenge", "expires_at", "sha256", "size", "submission_url", "heartbeat_url", "result_url",
         "failure_url", "lease_seconds"],
        id={"type": "string"}, submission_id={"type": "integer"}, challenge={"type": "string"},
        expires_at={**TIME, "description": "The lease ends here unless a heartbeat extends it; then the job is leased again."},
        sha256={"type": "string", "description": "SHA-256 of the submission file."}, size={"type": "integer"},
        lease_seconds={"type": "number", "description": "How long each heartbeat extends the lease; beat well inside it."},
        submission_url={"type": "string", "format": "uri"}, heartbeat_url={"type": "string", "format": "uri"},
        result_url={"type": "string", "format": "uri"}, failure_url={"type": "string", "format": "uri"},
        site={"type": ["string", "null"], "description": "Several sites: the site whose rows this job scores "
                                                         "(the token's site); null for a one-agent challenge."},
        phase={"type": "string", "description": "The phase whose solution rows score this job (data.phase_column); "
                                                "main for a challenge without phases."}),
    "Heartbeat": obj(["id", "expires_at"], id={"type": "string"}, expires_at=TIME),
    "AgentResult": {
        **obj(["solution_sha256", "report"],
              solution_sha256={"type": "string", "pattern": "^[0-9a-fA-F]{64}$",
                               "description": "SHA-256 of the solution the agent scored with; must be the pinned one."},
              report={"type": "object", "description": "The score report as the sealed scorer writes it "
                                                        "(scorers.report.report_to_wire): splits, CIs, replicates, subgroups."},
              ids={"type": "array", "items": {"type": "string"},
                   "description": "Several sites only, and required there: every id of the site's own rows, once "
                                  "each; another site's id, or one left out, is refused with 400."}),
        "additionalProperties": False,
    },
    "AgentResultStored": obj(
        ["submission_id", "status", "stored"], submission_id={"type": "integer"}, status={"type": "string", "enum": ["scored", "scoring"]},
        stored={"type": "boolean", "description": "false when this submission's result was stored already (posted twice)."},
        site={"type": "string", "description": "Several sites: the site stored. status stays scoring until every site has reported."}),
    "AgentFailure": {
        **obj(["solution_sha256", "error", "problems"],
              solution_sha256={"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
              error={"type": "string", "minLength": 1, "maxLength": 500,
                     "description": "What the team reads: the sealed scorer's safe message, never the detail."},
              problems={"type": ["array", "null"], "maxItems": 20, "items": {
                  "type": "object", "required": ["row", "column", "message"], "additionalProperties": False,
                  "properties": {"row": {"type": ["integer", "null"]}, "column": {"type": ["string", "null"]},
                                 "message": {"type": "string", "maxLength": 500}}}}),
        "additionalProperties": False,
    },
    "AgentFailureStored": obj(
        ["submission_id", "status", "stored"], submission_id={"type": "integer"},
        status={"type": "string", "enum": ["failed", "scored"]},
        stored={"type": "boolean", "description": "false when the submission had ended already (reported twice)."}),
}

AGENT_PATHS: dict[str, Any] = {
    "/api/v1/agent/lease": {"post": _operation(
        "agent_lease", "Lease the next job of the agent's challenges, waiting up to `wait` seconds.",
        {"200": _json("A leased job.", ref("AgentJob")), "204": {"description": "No job within `wait` seconds."},
         **_errors(400, 401)},
        security=AGENT, body={"required": False, "content": {"application/json": {"schema": ref("LeaseRequest")}}},
        tags=["agents"])},
    "/api/v1/agent/jobs/{job_id}/submission": {"get": _operation(
        "agent_job_submission", "Download a leased job's submission file.",
        {"200": {"description": "The file, as uploaded.", "content": {"text/csv": {"schema": {"type": "string"}}}},
         **_errors(401, 403, 404, 409)},
        security=AGENT, parameters=[JOB_ID], tags=["agents"])},
    "/api/v1/agent/jobs/{job_id}/heartbeat": {"post": _operation(
        "agent_job_heartbeat", "Extend a held lease by one lease period.",
        {"200": _json("The new expiry.", ref("Heartbeat")), **_errors(401, 403, 404, 409)},
        security=AGENT, parameters=[JOB_ID], tags=["agents"])},
    "/api/v1/agent/jobs/{job_id}/result": {"post": _operation(
        "agent_job_result", "Post a leased job's score report; stored once per submission and solution.",
        {"200": _json("Stored, or stored already.", ref("AgentResultStored")), **_errors(400, 401, 403, 404, 409)},
        security=AGENT, parameters=[JOB_ID],
        body={"required": True, "content": {"application/json": {"schema": ref("AgentResult")}}}, tags=["agents"])},
    "/api/v1/agent/jobs/{job_id}/failure": {"post": _operation(
        "agent_job_failure", "Report that a leased job cannot be scored; the submission ends failed with the message.",
        {"200": _json("Stored, or stored already.", ref("AgentFailureStored")), **_errors(400, 401, 403, 404, 409)},
        security=AGENT, parameters=[JOB_ID],
        body={"required": True, "content": {"application/json": {"schema": ref("AgentFailure")}}}, tags=["agents"])},
}

AGENT_SECURITY = {"agentAuth": {
    "type": "http", "scheme": "bearer",
    "description": "An agent token from `ultrathon agents create --challenge SLUG` (starts with uta_).",
}}
