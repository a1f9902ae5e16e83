from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "tsunagu.audit"
    verbose_name = _("アクセス記録")

    def ready(self):
        # Django and django-axes announce authentication events as signals; the audit
        # trail listens to them so that no login path can skip the record.
        from tsunagu.audit import signals  # noqa: F401
