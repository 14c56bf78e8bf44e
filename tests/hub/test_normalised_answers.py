"""Answers as Excel users write them (``Yes``, ``In-house``, ``£85,000``, ``1,020``)
reach the form's own choices and formats, whichever way they arrive (upload, form
POST, autosave), and no save blanks a field the user did not touch (issue 21,
item 1)."""

from __future__ import annotations

import io
import json

from tests.hub.conftest import full_answers

#: The template filled in as people do in Excel: capitalised words, a hyphen
#: spelt differently, pounds and thousands separators typed as text.
EXCEL_STYLE = full_answers(
    funding_la="£85,000",
    funding_social_care="£20,000",
    funding_health="£25,000",
    funding_other="£5,000",
    funding_total="£135,000",
    helpline_enquiries="1,020",
    delivery="In-house",
    joint_health_and_social_care="Yes",
    joint_health_only="No",
    joint_social_care_only="No",
)
#: What the form keeps for each of them.
NORMALISED = {
    "funding_la": "85000",
    "funding_total": "135000",
    "helpline_enquiries": "1020",
    "delivery": "In-House",
    "joint_health_and_social_care": "yes",
    "joint_health_only": "no",
    "joint_social_care_only": "no",
}


def excel_style_workbook(template: bytes, answers: dict[str, str]) -> bytes:
    """The downloaded XLSX template with ``answers`` typed into its value column as
    text, the way Excel keeps '£85,000' typed into a text-formatted cell."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(template))
        .get_sheet_by_name("Return")
        .to_python()
    )
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Return")
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            sheet.write(i, j, cell)
        if i > 2 and row[0] in answers:
            sheet.write_string(i, 3, answers[row[0]])
    book.close()
    return out.getvalue()


def _upload(client, ret, data: bytes, name: str) -> list[str]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.get(f"/returns/{ret.pk}/")
    r = client.post(
        f"/returns/{ret.pk}/upload",
        {
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            "file": SimpleUploadedFile(name, data),
        },
    )
    assert r.status_code == 302
    return [str(m) for m in client.get(f"/returns/{ret.pk}/").context["messages"]]


def _page_form(client, ret) -> dict[str, str]:
    """Every field the return page's form would post, as the browser shows it."""
    page = client.get(f"/returns/{ret.pk}/")
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    return data


def test_excel_style_upload_then_autosave_changes_nothing_else(leeds):
    from lacompare.hub.returns.models import AuditEntry, Return

    client, ret = leeds
    template = client.get(f"/returns/{ret.pk}/template.xlsx").content
    messages = _upload(
        client, ret, excel_style_workbook(template, EXCEL_STYLE), "excel.xlsx"
    )
    assert messages[0].startswith("Uploaded excel.xlsx: 18 change(s)"), messages
    assert len(messages) == 1, messages  # no error, no warning
    ret.refresh_from_db()
    for name, value in NORMALISED.items():
        assert ret.values[name] == value, name
    stored = dict(ret.values)

    # The page shows every answer (nothing is "—"), and posts it back unchanged.
    form = _page_form(client, ret)
    assert form["delivery"] == "In-House"
    assert form["joint_health_and_social_care"] == "yes"
    page = client.get(f"/returns/{ret.pk}/").content.decode()
    assert '<option value="In-House" selected>' in page
    assert '<option value="yes" selected>Yes</option>' in page

    # The autosave a browser sends on typing in another field: the whole form.
    before = AuditEntry.objects.filter(ret=ret).count()
    form["volunteers"] = "4"
    r = client.post(f"/returns/{ret.pk}/autosave", form)
    assert r.status_code == 200 and r.json()["changed"] == ["volunteers"]
    ret.refresh_from_db()
    assert ret.values == {**stored, "volunteers": "4"}
    new = list(AuditEntry.objects.filter(ret=ret).order_by("id")[before:])
    assert [(e.action, e.field, e.old, e.new) for e in new] == [
        ("autosave", "volunteers", "3", "4")
    ]
    assert ret.status == Return.DRAFT and ret.errors == 0

    # The history says what was typed where normalising changed it.
    entry = AuditEntry.objects.get(ret=ret, action="upload", field="delivery")
    assert (entry.new, entry.reason) == (
        "In-House",
        "uploaded excel.xlsx; given as 'In-house'",
    )


def test_a_page_that_cannot_show_an_answer_does_not_blank_it(leeds):
    """An answer saved before answers were normalised, or one matching no choice,
    is shown as it is and survives a whole-form save; and a page that shows an
    older copy (a second tab) neither blanks nor undoes what it did not change."""
    from lacompare.hub.returns.models import AuditEntry

    client, ret = leeds
    ret.values = {"delivery": "Both", "joint_health_only": "Yes", "volunteers": "3"}
    ret.save()
    form = _page_form(client, ret)
    assert form["delivery"] == "Both" and form["joint_health_only"] == "yes"
    page = client.get(f"/returns/{ret.pk}/").content.decode()
    assert "Both (not one of the choices)" in page
    assert "Delivery model: must be one of: In-House, Outsourced" in page

    # A stale tab: its page showed the old answers; the return has moved on.
    stale = dict(form)
    ret.refresh_from_db()
    ret.values = {**ret.values, "delivery": "Outsourced", "volunteers": "5"}
    ret.save()
    stale["fte_staff"] = "2"
    r = client.post(f"/returns/{ret.pk}/autosave", stale)
    assert r.json()["changed"] == ["fte_staff"]
    ret.refresh_from_db()
    assert ret.values["delivery"] == "Outsourced" and ret.values["volunteers"] == "5"

    # A form POST (no script) behaves the same, and a deliberate clearing counts.
    stale["fte_staff"] = "2"
    stale["joint_health_only"] = ""
    stale["reason"] = "not known"
    client.post(f"/returns/{ret.pk}/", stale)
    ret.refresh_from_db()
    assert ret.values["joint_health_only"] == ""
    assert ret.values["delivery"] == "Outsourced"
    assert list(
        AuditEntry.objects.filter(ret=ret).values_list("field", "old", "new")
    ) == [("fte_staff", "", "2"), ("joint_health_only", "Yes", "")]


def test_typed_answers_are_normalised_and_a_wrong_one_is_named(leeds):
    client, ret = leeds
    form = _page_form(client, ret)
    form.update(
        delivery="outsourced ",
        joint_health_only="YES",
        funding_la="£ 85,000",
        volunteers="1 020",
        fte_staff="12%",
        joint_social_care_only="maybe",
    )
    form["shown"] = ""  # a script posting answers without the page's copy
    r = client.post(f"/returns/{ret.pk}/autosave", form)
    body = r.json()
    ret.refresh_from_db()
    assert ret.values["delivery"] == "Outsourced"
    assert ret.values["joint_health_only"] == "yes"
    assert ret.values["funding_la"] == "85000"
    assert ret.values["volunteers"] == "1020"
    # Kept as given (never lost), and an error names the field.
    assert ret.values["fte_staff"] == "12%"
    assert ret.values["joint_social_care_only"] == "maybe"
    errors = {
        i["field"]: i["message"] for i in body["issues"] if i["severity"] == "error"
    }
    assert errors["joint_social_care_only"].endswith(": must be yes or no")
    assert "'12%' is a percentage" in errors["fte_staff"]


def test_an_upload_names_the_sheet_row_and_field_of_a_wrong_answer(leeds):
    client, ret = leeds
    template = client.get(f"/returns/{ret.pk}/template.xlsx").content
    data = excel_style_workbook(template, {**EXCEL_STYLE, "delivery": "Both"})
    messages = _upload(client, ret, data, "excel.xlsx")
    wrong = [m for m in messages if "must be one of" in m]
    assert len(wrong) == 1, messages
    assert wrong[0].startswith("excel.xlsx, sheet 'Return', row 18, column delivery: ")
    assert wrong[0].endswith("Delivery model: must be one of: In-House, Outsourced")


def test_shown_must_be_json(leeds):
    client, ret = leeds
    form = _page_form(client, ret)
    form["shown"] = "{not json"
    r = client.post(f"/returns/{ret.pk}/autosave", form)
    assert r.status_code == 400
    assert json.loads(r.content)["saved"] is False
