"""`python -m shopfloor`."""

from shopfloor.cli.app import main

main()
