"""docker-compose.yml and the Dockerfile stay true to the CLI and the settings.

No Docker engine runs here, so these tests read the files and check each service's
command against the real `ultrathon` command group and its environment against the config.
"""

import contextlib
import json
import re
from pathlib import Path

import click
import pytest
import yaml
from flask.cli import ScriptInfo

from ultrathon.cli import cli
from ultrathon.platform.config import ENVIRONMENT_VARIABLES, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = {name: s for name, s in COMPOSE["services"].items() if s.get("build")}


def resolve(args, app):
    """Parse an `ultrathon ...` argument list as the CLI would; return the leaf command's params."""
    assert args[0] == "ultrathon", args
    # Closing the contexts pops the app context Flask's group pushes while resolving a command:
    # left pushed, later tests' requests would share it and its database session.
    with contextlib.ExitStack() as contexts:
        ctx = contexts.enter_context(click.Context(cli, info_name="ultrathon", obj=ScriptInfo(create_app=lambda: app)))
        command, rest = cli, list(args[1:])
        while isinstance(command, click.Group):
            name, command, rest = command.resolve_command(ctx, rest)
            assert command is not None, f"unknown command {name!r} in {args}"
            if isinstance(command, click.Group):
                ctx = contexts.enter_context(click.Context(command, info_name=name, parent=ctx))
        return contexts.enter_context(command.make_context(name, list(rest), parent=ctx)).params


def interpolate(value: str) -> str:
    """Resolve ${VAR:-default} and ${VAR:?message} the way compose does, with a stand-in secret."""
    def sub(match):
        name, op, arg = match.group(1), match.group(2), match.group(3)
        return arg if op == ":-" else f"stand-in-{name.lower()}-of-sufficient-length"
    return re.sub(r"\$\{(\w+)(:-|:\?)([^}]*)\}", sub, value)


def test_compose_has_the_production_set():
    assert set(COMPOSE["services"]) == {"postgres", "redis", "migrate", "web", "worker"}


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_each_service_command_is_a_real_ultrathon_command(name, app):
    resolve(APP_SERVICES[name]["command"], app)


def test_migrate_runs_the_migrations_and_web_and_workers_wait_for_it():
    assert APP_SERVICES["migrate"]["command"] == ["ultrathon", "db", "upgrade"]
    for name in ("web", "worker"):
        assert APP_SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_web_listens_where_its_port_is_published(app):
    params = resolve(APP_SERVICES["web"]["command"], app)
    assert params["host"] == "0.0.0.0"
    published = [p.split(":")[-1] for p in APP_SERVICES["web"]["ports"]]
    assert str(params["port"]) in published


def test_worker_can_be_scaled():
    worker = APP_SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert worker["command"][:2] == ["ultrathon", "worker"]


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_service_environment_is_settings_the_platform_reads(name, tmp_path):
    env = {key: interpolate(str(value)) for key, value in APP_SERVICES[name]["environment"].items()}
    assert set(env) <= set(ENVIRONMENT_VARIABLES), set(env) - set(ENVIRONMENT_VARIABLES)
    env["ULTRATHON_INSTANCE"] = str(tmp_path)  # the container's path does not exist here
    settings = load_settings(env)
    assert settings.production
    assert settings.database_url.startswith("postgresql+psycopg://ultrathon:")
    assert settings.database_url.endswith("@postgres:5432/ultrathon")
    assert settings.redis_url == "redis://redis:6379/0"


def test_compose_requires_a_secret_key_rather_than_defaulting_one():
    assert re.fullmatch(r"\$\{SECRET_KEY:\?.+\}", APP_SERVICES["web"]["environment"]["SECRET_KEY"])


def test_dockerfile_installs_the_package_and_starts_the_web(app):
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    copied = {line.split()[1] for line in lines if line.startswith("COPY")}
    assert {"ultrathon", "migrations", "challenges"} <= copied
    assert any(line.startswith("RUN pip install") and "-e ." in line for line in lines)
    cmd = next(line for line in lines if line.startswith("CMD"))
    resolve(json.loads(cmd[len("CMD"):]), app)


def test_readme_configuration_table_lists_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in ENVIRONMENT_VARIABLES if f"`{name}`" not in readme]
    assert missing == []
