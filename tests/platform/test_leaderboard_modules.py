"""The leaderboard's modules import one way: each loads on its own, none imports a sibling late."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEADERBOARD = ROOT / "ultrathon" / "platform" / "leaderboard"
MODULES = sorted(path.stem for path in LEADERBOARD.glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize("module", MODULES)
def test_each_leaderboard_module_imports_first_in_a_fresh_process(module):
    # Imported first, a module caught in an import loop meets a half-initialised sibling.
    result = subprocess.run([sys.executable, "-c", f"import ultrathon.platform.leaderboard.{module}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("module", MODULES)
def test_no_leaderboard_module_imports_a_sibling_inside_a_function(module):
    tree = ast.parse((LEADERBOARD / f"{module}.py").read_text())
    late = [
        f"line {node.lineno}"
        for function in ast.walk(tree) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function) if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    assert late == [], f"{module}.py imports a sibling inside a function ({', '.join(late)})"
