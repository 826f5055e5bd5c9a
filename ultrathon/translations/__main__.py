"""`python -m ultrathon.translations [update|check]`: keep the catalogs in step with the code."""

from __future__ import annotations

import sys

from .catalogs import all_gaps, update


def main(argv: list[str]) -> int:
    """Update the catalogs from the code (the default), or list what they lack (`check`)."""
    if argv[:1] == ["check"]:
        gaps = all_gaps()
        for gap in gaps:
            print(f"{gap.language}: {gap.why}: {gap.message!r}")
        return 1 if gaps else 0
    for language, count in update().items():
        print(f"{language}: {count} message(s) to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
