"""One verdict per figure: the la-profile (the report and the web app's profile, which
renders the same document) and ``compare`` judge each headline figure of an authority
with the same test and reach the same verdict (issue 16: Leicester's CIN rate was "not
significant" on the web profile and "below (99.8%)" in ``compare``)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.shared


def test_profile_and_compare_give_each_headline_figure_one_verdict(
    national_store: Path,
) -> None:
    from lacompare.analysis import compare_headline
    from lacompare.report import prepare_profiles
    from lacompare.store import open_store

    with open_store(national_store, read_only=True) as store:
        table = compare_headline(store, "Leicester").table
        # No measures named: the headline set, as the report and the web app use.
        profile = prepare_profiles(store, trends=False, with_spend=False)
    code = profile.resolve("Leicester")
    rows = profile.latest[profile.latest["la_code"] == code]
    assert len(rows) >= 5
    checked = 0
    for _, row in rows.iterrows():
        same = table[
            (table["measure"] == row["measure"])
            & (table["breakdown"] == row["breakdown"])
            & (table["period"] == row["period"])
        ]
        if same.empty:
            continue
        mine = same.iloc[0]
        assert (mine["flag"], mine["test"]) == (row["flag"], row["test"]), row[
            "measure"
        ]
        checked += 1
    assert checked >= 5


def test_default_profile_pdf_is_at_most_40_pages(
    national_store: Path, tmp_path: Path
) -> None:
    """``report la-profile`` with no ``-m`` uses the headline set: a committee's
    paper, not the 353 pages every measure made (issue 16)."""
    import shutil
    import subprocess

    pytest.importorskip("weasyprint", reason="PDF needs the pdf extra (WeasyPrint)")
    if shutil.which("pdfinfo") is None:
        pytest.fail("pdfinfo not installed (Debian: apt-get install poppler-utils)")
    from typer.testing import CliRunner

    from lacompare.cli import app

    out = tmp_path / "leicester.pdf"
    run = CliRunner().invoke(
        app,
        ["report", "la-profile", "--authority", "Leicester", "--format", "pdf"]
        + ["--out", str(out), "--db", str(national_store)],
    )
    assert run.exit_code == 0, run.output
    info = subprocess.run(
        ["pdfinfo", str(out)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
    assert 5 <= pages <= 40
