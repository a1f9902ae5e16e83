from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tsunagu.accounts"
    verbose_name = _("利用者")

    def ready(self):
        from tsunagu.accounts import signals  # noqa: F401
