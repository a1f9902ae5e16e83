"""Refused looks at an object are in the audit trail, for every view in one place."""

from tsunagu.audit.services import Action, record

REFUSED = (403, 404)


class DeniedAccessMiddleware:
    """One audit row for each 403 or 404 a logged-in user gets on a URL that names an object.

    A case, referral, facility, unit … asked for by id and refused is what someone trying other
    facilities' ids leaves behind; the office finds it in the trail (操作: アクセス拒否). URLs that
    name no object (an unknown page) leave nothing. The row holds the id from the URL, never
    the object's content.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in REFUSED:
            match = getattr(request, "resolver_match", None)
            user = getattr(request, "user", None)
            if match is not None and match.kwargs and user is not None and user.is_authenticated:
                argument, value = next(iter(match.kwargs.items()))
                record(
                    request,
                    Action.DENIED,
                    object_type=argument,
                    object_ref=str(value),
                    detail={
                        "status": response.status_code,
                        "method": request.method,
                        "path": request.path[:300],
                        "view": match.view_name,
                    },
                )
        return response
