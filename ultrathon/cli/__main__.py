"""`python -m ultrathon.cli`: the `ultrathon` command."""

from ultrathon.cli import main

main()
