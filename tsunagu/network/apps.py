from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "tsunagu.network"
    verbose_name = _("地域・参照データ")
