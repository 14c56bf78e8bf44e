"""axe-core accessibility checks for the browser tests (the web app's and the hub's).

axe-core is the npm package, installed by ``bash .ci/install-axe`` (which ``.ci/run``
calls) into ``.cache/axe``; ``LACOMPARE_AXE_JS`` may name another ``axe.min.js``.
Without it the checks skip saying how to install it, except in CI, where they fail.

Use::

    from axe import serious_violations
    assert serious_violations(page) == []
"""

from __future__ import annotations

import os
from pathlib import Path

from chromium import require

DEFAULT_JS = (
    Path(__file__).resolve().parents[1] / ".cache/axe/node_modules/axe-core/axe.min.js"
)

#: The impacts that fail a test: axe-core's "serious" and "critical".
FAILING = ("serious", "critical")


def axe_js() -> Path:
    """The axe.min.js to inject, or skip/fail (CI) naming the install command."""
    path = Path(os.environ.get("LACOMPARE_AXE_JS") or DEFAULT_JS)
    require(
        path.is_file(),
        f"axe-core is not installed ({path} is missing): run bash .ci/install-axe",
    )
    return path


def run_axe(page, options: dict | None = None) -> dict:
    """axe-core's full result for the page as it stands (Playwright sync page)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js()))
    return page.evaluate(
        "(options) => axe.run(document, options)",
        options or {"resultTypes": ["violations"]},
    )


def serious_violations(page, options: dict | None = None) -> list[str]:
    """One line per serious or critical violation: rule, impact, and the nodes hit.

    An empty list means the page passes; the lines make an assertion's message
    readable (``assert serious_violations(page) == []``).
    """
    lines = []
    for violation in run_axe(page, options)["violations"]:
        if violation.get("impact") not in FAILING:
            continue
        targets = ", ".join(
            " ".join(map(str, node["target"])) for node in violation["nodes"][:5]
        )
        lines.append(
            f"{violation['id']} ({violation['impact']}): "
            f"{violation['help']} — {targets}"
        )
    return lines
