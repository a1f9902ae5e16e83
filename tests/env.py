"""Loaded by pytest before Django is set up (see pyproject's addopts)."""

import os

# The suite runs with a throwaway key; production refuses to start without a real one.
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
# Tests render templates without running collectstatic first.
os.environ.setdefault("STATIC_MANIFEST", "0")
