"""Loaded by pytest before Django is set up (see pyproject's addopts)."""

import os

# The suite runs with a throwaway key; production refuses to start without a real one.
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
# Tests render templates without running collectstatic first.
os.environ.setdefault("STATIC_MANIFEST", "0")
# Office users and facility admins need a second factor in production; the suite's personas log
# in with force_login and the security tests turn the requirement on where they test it.
os.environ.setdefault("OTP_REQUIRED_FOR_ADMINS", "0")
# The suite runs the production settings over plain http (the test client has no TLS).
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
