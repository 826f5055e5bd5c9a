"""The token-authenticated REST API, version 1."""

from flask import Blueprint, request

from ..extensions import limiter
from .auth import rate_limit_key, rate_limit_value
from .errors import init_errors

bp = Blueprint("api", __name__, url_prefix="/api/v1")
init_errors(bp)
# One budget per token across every API route (scope "api"), read from the config per request
# so a deployment, or a test, can change it. The event stream is one long-lived request per
# viewer, and a ward behind one address has many viewers: it is not counted.
limiter.shared_limit(
    rate_limit_value, scope="api", key_func=rate_limit_key,
    # Agents hold organiser-issued tokens and wait in long polls: they are not counted either.
    exempt_when=lambda: request.endpoint == "api.events" or (request.endpoint or "").startswith("api.agent_"),
)(bp)
# Views attach to `bp` when app.py imports `.routes`; importing this package stays light,
# so service modules beside it can be imported without pulling in every view.
