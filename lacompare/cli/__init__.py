"""``lacompare`` command line: a thin layer over the Python API.

Each command calls one public function and prints its result; heavy modules are
imported inside the commands so ``lacompare --help`` stays fast. The commands of
each stage live in their own module here (``_summary``, ``_report``, ...); nothing
outside this package imports them, so the stages never depend on the command line.
"""

from __future__ import annotations

import sys

from lacompare.cli._common import DbOption, app, friendly

__all__ = ["app", "main", "DbOption", "friendly"]

# Each module's register(app) adds its commands and imports nothing heavy at
# module level. _core's commands register as it is imported.
COMMAND_MODULES = (
    "lacompare.cli._catalogue",  # measures
    "lacompare.cli._summary",  # summary, compare, derive
    "lacompare.cli._table",  # table
    "lacompare.cli._neighbours",  # neighbours
    "lacompare.cli._statistics",  # correlate, test
    "lacompare.cli._models",  # model
    "lacompare.cli._report",  # report
    "lacompare.cli._build",  # build, harmonise, districts
    "lacompare.cli._snapshot",  # snapshot
    "lacompare.cli._serve",  # serve
    "lacompare.cli._sources",  # sources, fetch
    "lacompare.cli._dictionary",  # ingest-dictionary
    "lacompare.cli._hub",  # hub
    "lacompare.cli._store",  # vintages, diff
    "lacompare.cli._publish",  # publish site
)


def _register_commands() -> None:
    from importlib import import_module

    import_module("lacompare.cli._core")

    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point of the ``lacompare`` console script."""
    app(prog_name="lacompare")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
