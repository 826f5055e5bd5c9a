"""Settings: defaults, overrides, and one clear line for a bad one."""

import subprocess
import sys

import pytest

from ultrathon.platform.config import ConfigError, load_settings


def test_defaults_put_state_under_the_instance_folder(tmp_path):
    settings = load_settings({"ULTRATHON_INSTANCE": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'ultrathon.db'}"
    assert settings.redis_url is None
    assert settings.instance_path == tmp_path


def test_generated_secret_key_is_kept_between_starts(tmp_path):
    first = load_settings({"ULTRATHON_INSTANCE": str(tmp_path)}).secret_key
    second = load_settings({"ULTRATHON_INSTANCE": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_postgres_urls_use_psycopg3(tmp_path):
    env = {"ULTRATHON_INSTANCE": str(tmp_path), "DATABASE_URL": "postgres://u@db:5432/x"}
    assert load_settings(env).database_url == "postgresql+psycopg://u@db:5432/x"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ULTRATHON_ENV": "production"}, "SECRET_KEY is required when ULTRATHON_ENV=production"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with sqlite:/// or postgresql://, got 'mysql'"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL must start with redis://, rediss:// or unix://, got 'http://x'"),
        ({"ULTRATHON_MAX_UPLOAD_MB": "lots"}, "ULTRATHON_MAX_UPLOAD_MB must be a whole number, got 'lots'"),
        ({"ULTRATHON_MAX_UPLOAD_MB": "0"}, "ULTRATHON_MAX_UPLOAD_MB must be at least 1, got 0"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 16 characters long"),
        ({"ULTRATHON_ENV": "staging"}, "ULTRATHON_ENV must be development, production or test, got 'staging'"),
    ],
)
def test_bad_setting_names_itself(tmp_path, env, message):
    with pytest.raises(ConfigError) as caught:
        load_settings({"ULTRATHON_INSTANCE": str(tmp_path), **env})
    assert str(caught.value) == message


def test_command_stops_with_one_line_naming_the_setting(tmp_path):
    env = {"ULTRATHON_INSTANCE": str(tmp_path), "DATABASE_URL": "mysql://nowhere", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "ultrathon.cli", "users", "create", "a@example.org"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: DATABASE_URL must start with sqlite:/// or postgresql://, got 'mysql'"
    assert "Traceback" not in done.stdout + done.stderr
