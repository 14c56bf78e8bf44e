"""Public names that load on first use, so ``lacompare --help`` stays fast.

A package lists which module holds each of its public names; the module is
imported when the name is first read (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` for names loaded on first use.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Public name → the module that defines it: a full name
        (``"lacompare.derive._agreement"``) or one inside the package (``"_html"``).

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("json", {"JSONDecodeError": "decoder"})
    >>> getattr_("JSONDecodeError").__name__
    'JSONDecodeError'
    >>> getattr_("nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'json' has no attribute 'nothing'
    """

    def __getattr__(name: str) -> Any:
        where = exports.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = where if where.startswith("lacompare.") else f"{package}.{where}"
        value = getattr(import_module(module), name)
        # Later reads find the name on the package and skip this function.
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        names = getattr(sys.modules[package], "__all__", [])
        return sorted(set(names) | set(exports))

    return __getattr__, __dir__
