"""Uploading the hub's template (XLSX and CSV): round trip, the same validation
messages as the form, and size and type limits."""

from __future__ import annotations

import io

import pytest

from tests.hub.conftest import full_answers


def _upload(client, ret, data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.get(f"/returns/{ret.pk}/")
    token = client.cookies["csrftoken"].value
    assert page.status_code == 200
    r = client.post(
        f"/returns/{ret.pk}/upload",
        {
            "csrfmiddlewaretoken": token,
            "file": SimpleUploadedFile(
                name, data, content_type="application/octet-stream"
            ),
        },
    )
    assert r.status_code == 302
    follow = client.get(f"/returns/{ret.pk}/")
    return [str(m) for m in follow.context["messages"]], follow


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_template_round_trip(leeds, fmt):
    """Download the template, fill it in (as a person would, in a spreadsheet or a
    text editor), upload it: every figure arrives as typed."""
    from python_calamine import CalamineWorkbook

    from lacompare.hub.returns.models import AuditEntry, Return

    client, ret = leeds
    r = client.get(f"/returns/{ret.pk}/template.{fmt}")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    answers = full_answers(fte_staff="4.75")
    if fmt == "xlsx":
        rows = (
            CalamineWorkbook.from_filelike(io.BytesIO(r.content))
            .get_sheet_by_name("Return")
            .to_python()
        )
        import xlsxwriter

        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        sheet = book.add_worksheet("Return")
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                sheet.write(i, j, cell)
            if i > 2:
                value = answers.get(row[0], "")  # a question left blank
                try:  # numbers as numbers, as a spreadsheet stores them
                    sheet.write_number(i, 3, float(value))
                except ValueError:
                    sheet.write_string(i, 3, value)
        sheet.write_string(3 + 5, 4, "includes a one-off grant")  # funding_total
        book.close()
        data = out.getvalue()
    else:
        lines = r.content.decode().splitlines()
        import csv

        rows = list(csv.reader(lines))
        for row in rows[3:]:
            row[3] = answers.get(row[0], "")
        rows[3 + 5][4] = "includes a one-off grant"
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        data = buffer.getvalue().encode()
    messages, _ = _upload(client, ret, data, f"leeds.{fmt}")
    assert any("saved" in m for m in messages), messages
    ret = Return.objects.get(pk=ret.pk)
    assert ret.values == answers
    assert ret.comments["funding_total"] == "includes a one-off grant"
    assert ret.errors == 0
    entry = AuditEntry.objects.get(ret=ret, field="fte_staff")
    assert (entry.action, entry.old, entry.new, entry.reason) == (
        "upload",
        "",
        "4.75",
        f"uploaded leeds.{fmt}",
    )
    # Download again: the template carries the saved figures back out.
    again = client.get(f"/returns/{ret.pk}/template.csv").content.decode()
    assert "fte_staff,Staff (full-time equivalent),FTE,4.75," in again


def test_upload_and_form_give_the_same_messages(leeds):
    from lacompare.hub.returns_file import write_return_template

    client, ret = leeds
    definition = ret.round.read_definition()
    bad = full_answers(
        funding_total="199000",
        volunteers="-2",
        fte_staff="lots",
        joint_health_and_social_care="yes",
    )
    # Through the form.
    page = client.get(f"/returns/{ret.pk}/")
    token = client.cookies["csrftoken"].value
    r = client.post(f"/returns/{ret.pk}/", {**bad, "csrfmiddlewaretoken": token})
    form_messages = set()
    for errors in r.context["form"].errors.values():
        form_messages.update(errors)
    assert page.status_code == 200
    expected = {
        "Total funding (£199,000) must equal the sum of its parts (£200,000)",
        "Volunteers must be at least 0",
        "Staff (full-time equivalent): 'lots' is not a number",
        "only one of these can be yes: Jointly commissioned with health and social "
        "care; Jointly commissioned with health only",
    }
    assert form_messages == expected
    # Through an upload of the same answers to the other... the same return.
    data = write_return_template(definition, "leeds", "Leeds", fmt="csv", values=bad)
    messages, _ = _upload(client, ret, data, "leeds.csv")
    located = [m for m in messages if m.startswith("leeds.csv, row")]
    assert {m.split(": ", 1)[1] for m in located} == expected
    # Each names the file, row and column of the figure.
    assert (
        "leeds.csv, row 9, column funding_total: Total funding (£199,000) must "
        "equal the sum of its parts (£200,000)" in located
    )


def test_uploads_are_limited_in_size_and_type(leeds, settings_override=None):
    from django.test import override_settings

    from lacompare.hub.returns.models import Return
    from lacompare.hub.returns_file import write_return_template

    client, ret = leeds
    definition = ret.round.read_definition()
    good = write_return_template(
        definition, "leeds", "Leeds", fmt="csv", values={"volunteers": "3"}
    )
    cases = {
        "leeds.xlsm": (good, "upload a .xlsx or .csv file"),
        "leeds.exe": (b"MZ\x90\x00" + b"\x00" * 100, "upload a .xlsx or .csv file"),
        "leeds.xlsx": (good, "not an XLSX workbook"),
        "sneaky.csv": (b"PK\x03\x04" + b"\x00" * 50, "this is a spreadsheet, not CSV"),
        "binary.csv": (b"field,value\n\xff\xfe\x00\x00", "not UTF-8 text"),
        "york.csv": (
            write_return_template(
                definition, "york", "York", fmt="csv", values={"volunteers": "9"}
            ),
            "this file is for service 'york', not 'leeds'",
        ),
    }
    for name, (data, message) in cases.items():
        messages, _ = _upload(client, ret, data, name)
        assert any(message in m and name in m for m in messages), (name, messages)
        assert any(m.startswith("Nothing was saved") for m in messages)
    with override_settings(HUB_MAX_UPLOAD_BYTES=2000):
        big = good + b"#" * 3000
        messages, _ = _upload(client, ret, big, "big.csv")
        assert any("the limit is 2,000" in m for m in messages), messages
    assert Return.objects.get(pk=ret.pk).values == {}  # nothing was saved
    # A formula in a cell stays the user's text: nothing is evaluated.
    formula = write_return_template(
        definition, "leeds", "Leeds", fmt="xlsx", values={"volunteers": "=1+1"}
    )
    messages, _ = _upload(client, ret, formula, "leeds.xlsx")
    saved = Return.objects.get(pk=ret.pk)
    assert saved.values["volunteers"] == "=1+1"
    assert any("Volunteers: '=1+1' is not a number" in m for m in messages)


# --- hostile workbooks (issue 14) ----------------------------------------------


def _hostile_cases():
    from tests import hostile_workbooks as hostile

    return {
        "far-cell": (
            hostile.far_cells_xlsx(),
            "leeds.xlsx, sheet 'Sheet1': the "
            "sheet spans 1,048,576 rows × 16,384 columns (declared "
            "A1:XFD1048576); lacompare reads at most 10,000,000 cells (set "
            "LACOMPARE_WORKBOOK_MAX_CELLS to raise it)",
        ),
        "zip-bomb": (
            hostile.zip_bomb_xlsx(200),
            "leeds.xlsx, sheet 'Data': xl/worksheets/sheet1.xml expands ",
        ),
        "string-count": (
            hostile.huge_string_count_xlsx(),
            "leeds.xlsx: xl/sharedStrings.xml claims 2,000,000,000 strings",
        ),
    }


@pytest.mark.parametrize("case", ["far-cell", "zip-bomb", "string-count"])
def test_a_hostile_workbook_is_refused_and_the_worker_carries_on(leeds, case):
    """Issue 14's 5 KB workbook (and a zip bomb) get one line on the form, nothing
    is saved, and the next upload on the same worker works."""
    import time

    from lacompare.hub.returns.models import Return

    client, ret = leeds
    data, message = _hostile_cases()[case]
    started = time.monotonic()
    messages, _ = _upload(client, ret, data, "leeds.xlsx")
    assert time.monotonic() - started < 30
    assert any(m.startswith(f"Nothing was saved: {message}") for m in messages), (
        messages
    )
    assert Return.objects.get(pk=ret.pk).values == {}
    _next_upload_works(client, ret)


def _next_upload_works(client, ret) -> None:
    from lacompare.hub.returns.models import Return
    from lacompare.hub.returns_file import write_return_template

    good = write_return_template(
        ret.round.read_definition(),
        "leeds",
        "Leeds",
        fmt="xlsx",
        values={"volunteers": "3"},
    )
    messages, _ = _upload(client, ret, good, "leeds.xlsx")
    assert any(m.startswith("Uploaded leeds.xlsx") for m in messages), messages
    assert Return.objects.get(pk=ret.pk).values["volunteers"] == "3"


def test_a_reader_abort_ends_the_child_not_the_worker(leeds, monkeypatch):
    """With the workbook limits lifted, python-calamine aborts on the file: the
    hub reads uploads in a child process, so the request gets an error."""
    from lacompare.hub.returns.models import Return
    from tests import hostile_workbooks as hostile

    client, ret = leeds
    for key, value in hostile.NO_LIMITS.items():
        monkeypatch.setenv(key, value)
    messages, _ = _upload(client, ret, hostile.far_cells_xlsx(), "leeds.xlsx")
    assert any(
        m.startswith("Nothing was saved: leeds.xlsx: the spreadsheet reader ")
        for m in messages
    ), messages
    assert Return.objects.get(pk=ret.pk).values == {}
    _next_upload_works(client, ret)


def _workers(master: int) -> set[int]:
    """The pids of a gunicorn master's workers (its child processes)."""
    from pathlib import Path

    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            out.add(int(stat.parent.name))
    return out


def test_gunicorn_loses_no_worker_to_a_hostile_upload(
    make_round, make_user, hub, monkeypatch
):
    """The real server, with the workbook limits lifted so that python-calamine
    aborts on issue 14's workbook: the upload gets its message, every worker that
    was serving is still serving, and the next request is answered."""
    pytest.importorskip("gunicorn")
    import re
    import time

    from lacompare.hub.returns.models import Return
    from tests import hostile_workbooks as hostile
    from tests.hub.conftest import demo_services
    from tests.hub.test_server_kill import _free_port, _kill, _login, _start

    make_round([s for s in demo_services() if s["code"] == "leeds"])
    make_user("leeds-ias", "leeds")
    pk = Return.objects.get(service__code="leeds").pk
    for key, value in hostile.NO_LIMITS.items():
        monkeypatch.setenv(key, value)  # inherited by the server
    port = _free_port()
    proc = _start(hub, port)
    try:
        before = _workers(proc.pid)
        assert len(before) == 2
        client = _login(f"http://127.0.0.1:{port}", "leeds-ias")
        client.get(f"/returns/{pk}/")
        started = time.monotonic()
        r = client.post(
            f"/returns/{pk}/upload",
            data={"csrfmiddlewaretoken": client.cookies["csrftoken"]},
            files={"file": ("leeds.xlsx", hostile.far_cells_xlsx())},
        )
        assert r.status_code == 302, r.text[:500]
        page = client.get(f"/returns/{pk}/").text
        assert time.monotonic() - started < 60
        assert re.search(
            r"Nothing was saved: leeds.xlsx: the spreadsheet reader "
            r"crashed \(SIGABRT\)",
            page,
        ), page[:3000]
        assert _workers(proc.pid) == before
        assert client.get(f"/returns/{pk}/").status_code == 200
    finally:
        _kill(proc)
    assert Return.objects.get(pk=pk).values == {}
