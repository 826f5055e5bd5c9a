"""Benchmark pages in Danish and Swedish against the same pages in English, in one run.

Run: .venv/bin/python bench/languages.py [--rounds N]
Builds the app on a fresh SQLite database (the real migrations) with the demo challenge loaded,
then renders the home page and the challenge overview N times each with `Accept-Language: en`,
`da` and `sv`, through Flask's test client. Prints the time per page for each language and its
ratio to English, and the one-off cost of reading a catalog from its .po file (once per process).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ("/", "/challenges/breast-cancer-diagnosis")


def build_app(folder: Path):
    """Return the app on a new SQLite database in `folder`, with the demo challenge loaded."""
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    os.environ.pop("REDIS_URL", None)
    os.environ["ULTRATHON_INSTANCE"] = str(folder)
    from flask_migrate import upgrade

    from ultrathon.platform.app import create_app
    from ultrathon.platform.challenges.loader import load_challenge_folder

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        load_challenge_folder(ROOT / "challenges" / "breast-cancer-diagnosis")
    return app


def time_pages(client, language: str, rounds: int) -> float:
    """Return the mean milliseconds per page over `rounds` renders of every page."""
    started = time.perf_counter()
    for _ in range(rounds):
        for path in PAGES:
            answer = client.get(path, headers={"Accept-Language": language})
            assert answer.status_code == 200 and f'lang="{language}"' in answer.get_data(as_text=True)
    return (time.perf_counter() - started) * 1000 / (rounds * len(PAGES))


def catalog_read_ms() -> float:
    """Return the milliseconds it takes to read one catalog from its .po file."""
    from ultrathon.i18n import translations

    translations.cache_clear()
    started = time.perf_counter()
    translations("da")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        client = build_app(Path(folder)).test_client()
        for language in ("en", "da", "sv"):
            time_pages(client, language, 5)  # warm: templates compiled, catalogs read
        figures = {language: time_pages(client, language, rounds) for language in ("en", "da", "sv")}
    print(f"pages {', '.join(PAGES)}; {rounds} rounds each")
    for language, ms in figures.items():
        print(f"  {language}: {ms:6.2f} ms per page   ratio to en {ms / figures['en']:.2f}")
    print(f"  reading the Danish catalog from its .po: {catalog_read_ms():.1f} ms, once per process")


if __name__ == "__main__":
    main()
