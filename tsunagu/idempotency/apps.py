from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdempotencyConfig(AppConfig):
    name = "tsunagu.idempotency"
    verbose_name = _("二重送信の防止")
