"""The network office's facility import: upload a government CSV, watch the worker import it."""

from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from tsunagu.facilities.importers import Format
from tsunagu.facilities.models import ImportRun
from tsunagu.lib.access import office_required
from tsunagu.lib.polling import polled

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
RECENT_RUNS = 20


class ImportForm(forms.Form):
    format = forms.ChoiceField(label=_("ファイルの形式"), choices=Format.CHOICES, widget=forms.RadioSelect)
    file = forms.FileField(
        label=_("CSV ファイル"),
        help_text=_("UTF-8 (BOM の有無は問いません) または Shift_JIS。20MB まで。"),
    )
    dry_run = forms.BooleanField(label=_("確認だけして書き込まない"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("ファイルが大きすぎます (20MB まで)。"))
        if upload.size == 0:
            raise forms.ValidationError(_("ファイルが空です。"))
        return upload

    def create_run(self, user) -> ImportRun:
        upload = self.cleaned_data["file"]
        return ImportRun.objects.create(
            format=self.cleaned_data["format"],
            filename=upload.name[:200],
            content=upload.read(),
            dry_run=self.cleaned_data["dry_run"],
            created_by=user,
        )


@office_required
@require_http_methods(["GET", "POST"])
def import_start(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        run = form.create_run(request.user)
        return redirect("facilities:import_run", run_id=run.public_id)
    runs = ImportRun.objects.select_related("created_by").defer("content")[:RECENT_RUNS]
    return render(request, "facilities/import.html", {"form": form, "runs": runs})


@polled
@office_required
@require_GET
def import_run(request, run_id):
    run = get_object_or_404(ImportRun.objects.defer("content"), public_id=run_id)
    template = "facilities/_import_run.html" if request.htmx else "facilities/import_run.html"
    return render(request, template, {"run": run})
