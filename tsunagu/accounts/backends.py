"""Authentication backend that applies the login lockout to every web login."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, skipped when there is no request.

    Every login through the web passes its request and is counted; authenticate() without a
    request only happens in code that runs on the server itself (tests' client.login, shell),
    where there is no remote attacker to lock out.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
