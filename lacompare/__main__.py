"""``python -m lacompare`` runs the command line."""

from lacompare.cli import main

main()
