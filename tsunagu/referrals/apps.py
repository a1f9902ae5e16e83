from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "tsunagu.referrals"
    verbose_name = _("打診・依頼")
