"""Error pages in Japanese, without stack traces or internals."""

from django.shortcuts import render


def csrf_failure(request, reason=""):
    # The reason is for developers; the user gets what to do next.
    return render(request, "403_csrf.html", status=403)
