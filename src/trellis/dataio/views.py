"""The import page (upload a file, see the report: row, field, message per bad row), the
page of a long import running in the background (a progress bar polled every second,
then the report) and the export downloads of the web lists."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from trellis.core.errors import Forbidden, NotFound, TrellisError
from trellis.dataio.api import check_upload
from trellis.dataio.exporting import FORMATS, download, list_export
from trellis.dataio.forms import ImportForm
from trellis.dataio.jobs import import_start
from trellis.dataio.selectors import import_job_get, import_job_list
from trellis.org.selectors import has_privilege
from trellis.web.forms import add_service_error


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    allowed = has_privilege(request.user, "import")
    job, status = None, 200
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_upload(upload)
            job = import_start(
                request.user,
                entity=form.cleaned_data["entity"],
                data=upload.read(),
                filename=upload.name or "",
                dry_run=form.cleaned_data["dry_run"],
                atomic=form.cleaned_data["atomic"],
            )
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            if not job.finished:
                # A long file runs in the background: its page shows the progress.
                return redirect("web:import_job", job_id=job.pk)
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "job": job,
        "allowed": allowed,
        "recent": import_job_list(request.user),
    }
    return render(request, "dataio/import.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """One of the user's imports: its progress while it runs (the fragment alone for the
    page's poll), then its report. Anyone else's answers 404."""
    try:
        job = import_job_get(request.user, job_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    polled = bool(request.htmx and request.htmx.target == "import-job")
    template = "dataio/_job.html" if polled else "dataio/import_job.html"
    return render(request, template, {"job": job})


@login_required
@require_http_methods(["GET", "HEAD"])
def export_list(request: HttpRequest, entity: str, fmt: str) -> HttpResponse:
    """The `entity` list, filtered by the same query string as the list page, as a CSV or
    XLSX download. 403 without the export privilege."""
    if fmt not in FORMATS:
        raise Http404("no such format")
    try:
        headers, rows = list_export(request.user, entity=entity, query=request.GET)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except TrellisError as exc:
        return HttpResponseBadRequest(exc.detail)
    return download(entity, fmt, headers, rows)
