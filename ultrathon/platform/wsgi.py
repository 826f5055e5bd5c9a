"""The WSGI entry point gunicorn loads."""

from .app import create_app

app = create_app()
