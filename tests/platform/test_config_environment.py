"""Settings come from the process environment or a given mapping, and bad ones stop start-up in one line."""

import subprocess
import sys

import pytest

from ultrathon.platform.config import ENVIRONMENT_VARIABLES, ConfigError, load_settings


def test_without_a_mapping_the_process_environment_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("ULTRATHON_INSTANCE", str(tmp_path))
    monkeypatch.setenv("ULTRATHON_SWEEP_INTERVAL", "7")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    settings = load_settings()
    assert (settings.instance_path, settings.sweep_interval_s, settings.redis_url) == (tmp_path, 7, "redis://cache:6379/2")


def test_a_mapping_is_read_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("ULTRATHON_SWEEP_INTERVAL", "7")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    settings = load_settings({"ULTRATHON_INSTANCE": str(tmp_path)})
    assert (settings.sweep_interval_s, settings.redis_url) == (30, None)


def test_an_empty_variable_counts_as_unset(tmp_path):
    env = {"ULTRATHON_INSTANCE": str(tmp_path), "REDIS_URL": "", "SMTP_PORT": "", "ULTRATHON_API_RATE_LIMIT": ""}
    settings = load_settings(env)
    assert (settings.redis_url, settings.smtp_port, settings.api_rate_limit) == (None, 587, "120 per minute")


def test_an_empty_environment_name_is_refused_rather_than_taken_for_development(tmp_path):
    with pytest.raises(ConfigError, match="^ULTRATHON_ENV must be development, production or test, got ''$"):
        load_settings({"ULTRATHON_INSTANCE": str(tmp_path), "ULTRATHON_ENV": ""})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ULTRATHON_SWEEP_INTERVAL": "soon"}, "ULTRATHON_SWEEP_INTERVAL must be a whole number, got 'soon'"),
        ({"SMTP_PORT": "25.5"}, "SMTP_PORT must be a whole number, got '25.5'"),
        ({"SMTP_PORT": "-1"}, "SMTP_PORT must be at least 1, got -1"),
        ({"ULTRATHON_SWEEP_INTERVAL": "0", "SMTP_PORT": "x"},
         "ULTRATHON_SWEEP_INTERVAL must be at least 1, got 0; SMTP_PORT must be a whole number, got 'x'"),
    ],
)
def test_every_bad_number_is_named_in_one_line(tmp_path, env, message):
    with pytest.raises(ConfigError) as caught:
        load_settings({"ULTRATHON_INSTANCE": str(tmp_path), **env})
    assert str(caught.value) == message


def test_the_worker_stops_at_start_naming_a_bad_number(tmp_path):
    env = {"ULTRATHON_INSTANCE": str(tmp_path), "ULTRATHON_SWEEP_INTERVAL": "soon", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "ultrathon.cli", "worker", "--burst"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    # Its start-up logging (imports, at INFO) may come first; the error is the last line.
    assert done.stderr.strip().splitlines()[-1] == "Error: ULTRATHON_SWEEP_INTERVAL must be a whole number, got 'soon'"
    assert "Traceback" not in done.stdout + done.stderr


def test_the_table_of_variables_describes_each_one():
    assert len(ENVIRONMENT_VARIABLES) == 19
    assert all(isinstance(meaning, str) and meaning for meaning in ENVIRONMENT_VARIABLES.values())
