"""Error pages in Japanese, without stack traces or internals."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def csrf_failure(request, reason=""):
    # The reason is for developers; the user gets what to do next.
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    """500. After a POST nobody here knows whether the change committed (the database may have
    failed after it, or only the answer was lost), so the page never says that it did not:
    it asks the user to look.

    Rendered without the request's context processors, which may need the failing database.
    """
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"after_change": request.method not in ("GET", "HEAD")}))
