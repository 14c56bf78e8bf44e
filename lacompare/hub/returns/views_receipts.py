"""The printable copy of a return as submitted: an HTML page (print it, or save it
as PDF from the browser) and a PDF made by WeasyPrint when the ``pdf`` extra is
installed. Looked up with ``return_for`` (404 for anyone who may not see it)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from lacompare.hub.returns import receipts, workflow


def _copy_context(request: HttpRequest, pk: int, version: int) -> dict[str, object]:
    ret = workflow.return_for(request.user, pk)
    receipt = receipts.submit_receipt(ret, version)
    if receipt is None:
        raise Http404("no copy of that version")
    decisions = ret.receipts.filter(version=version).exclude(pk=receipt.pk)
    return {
        "ret": ret,
        "receipt": receipt,
        "rows": receipts.copy_rows(ret, receipt),
        "decisions": decisions.order_by("at", "id"),
        "pdf_problem": receipts.pdf_problem(),
    }


@require_GET
def copy(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    return render(request, "hub/copy.html", _copy_context(request, pk, version))


@require_GET
def copy_pdf(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    context = _copy_context(request, pk, version)
    if context["pdf_problem"]:
        raise Http404(str(context["pdf_problem"]))
    html = render_to_string("hub/copy.html", {**context, "for_pdf": True}, request)
    response = HttpResponse(receipts.copy_pdf(html), content_type="application/pdf")
    reference = context["receipt"].reference  # type: ignore[attr-defined]
    response["Content-Disposition"] = f'attachment; filename="{reference}.pdf"'
    return response
