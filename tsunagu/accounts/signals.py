from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from tsunagu.accounts.middleware import LAST_SEEN_SESSION_KEY, now
from tsunagu.accounts.security import SECOND_FACTOR_SESSION_KEY, second_factor_step


@receiver(user_logged_in, dispatch_uid="accounts_login_steps")
def remember_login_steps(sender, request, user, **kwargs):
    """Work out once, at login, which steps the user must still complete."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[SECOND_FACTOR_SESSION_KEY] = second_factor_step(user)
    request.session[LAST_SEEN_SESSION_KEY] = now()
