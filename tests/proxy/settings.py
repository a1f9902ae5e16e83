"""The production settings plus one page that says what Django sees of a request (proxy test only)."""

import os

from tsunagu.settings import *  # noqa: F403

ROOT_URLCONF = "tests.proxy.urls"
# collectstatic writes into a temporary folder, not into the working copy's var/static.
STATIC_ROOT = os.environ["PROXY_TEST_STATIC_ROOT"]
# The probe answers over plain http too, so that a request Django does not trust as https shows it.
SECURE_REDIRECT_EXEMPT = [r"^proxy-probe/$"]
