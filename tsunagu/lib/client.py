"""Who is on the other end of a request: client IP address and user agent."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's IP address.

    Behind a reverse proxy set TRUSTED_PROXY_COUNT to the number of proxies in front of
    Django: the address is then read from X-Forwarded-For, counting from the right, so a
    client cannot forge it by sending its own header.
    """
    if request is None:
        return None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request) -> str:
    if request is None:
        return ""
    return request.META.get("HTTP_USER_AGENT", "")[:300]
