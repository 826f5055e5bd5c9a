"""Routes of the home page."""

from flask import current_app, render_template

from ..extensions import db
from ..models import Challenge, utcnow
from . import bp


@bp.get("/")
def index():
    """List open challenges first, then upcoming and recent ones."""
    challenges = db.session.execute(db.select(Challenge).order_by(Challenge.closes_at.desc())).scalars().all()
    now = utcnow()
    open_now = [c for c in challenges if c.is_open(now)]
    upcoming = [c for c in challenges if c.opens_at > now]
    closed = [c for c in challenges if c.is_closed(now)]
    return render_template("main/index.html", open_now=open_now, upcoming=upcoming, closed=closed, now=now)


@bp.get("/favicon.ico")
def favicon():
    """Answer the icon browsers ask for by this name (pages that name none, such as JSON), so none is a 404."""
    return current_app.send_static_file("favicon.svg")
