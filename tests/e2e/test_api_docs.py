"""docs/api.md's worked example runs as written, against a live server and a real worker."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
DOC_URL = "http://127.0.0.1:8000"


def worked_example() -> tuple[list[str], dict[str, str]]:
    """Return the bash blocks of the worked example, in order, and its named Python files."""
    text = DOC.read_text()
    section = text[text.index("## Worked example"):]
    bash, files = [], {}
    for info, body in re.findall(r"```([^\n]*)\n(.*?)```", section, flags=re.S):
        language, _, rest = info.strip().partition(" ")
        if language == "bash":
            bash.append(body)
        elif language == "python":
            files[re.fullmatch(r"title=(\S+)", rest.strip()).group(1)] = body
    return bash, files


def test_the_example_has_every_step():
    bash, files = worked_example()
    script = "\n".join(bash)
    for step in ("tokens create", "download", "python train.py", "submit", "--wait", "leaderboard"):
        assert step in script, step
    assert set(files) == {"train.py"}
    assert "sklearn" in files["train.py"]


def test_the_worked_example_runs_as_written(live_server, live_worker, make_challenge, cli_env, tmp_path):
    make_challenge("breast-cancer-diagnosis")
    bash, files = worked_example()
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    # The only change: the live server's address instead of the one `ultrathon up` prints.
    script = "set -euo pipefail\n" + "\n".join(bash).replace(DOC_URL, live_server)
    env = {**cli_env, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["sample_submission.csv", "test.csv", "train.csv"]
    score = re.search(r"^scored: roc_auc = ([0-9.]+)", result.stdout, flags=re.M)
    assert score and float(score.group(1)) > 0.9, result.stdout  # a real model, not the sample file
    leaderboard = result.stdout[result.stdout.index("leaderboard"):]
    assert re.search(r"^1\s+Ada and friends\s+0\.9", leaderboard, flags=re.M), result.stdout
