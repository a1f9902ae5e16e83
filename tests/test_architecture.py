"""The import graph stays layered: each app imports only the apps below it.

    lib < audit < accounts < idempotency < network < notifications < facilities < cases < referrals < api, ops, project

So `accounts` knows no domain app, neither `facilities` nor `cases` knows `referrals`, and there is
no import cycle between apps. Imports inside functions count too: a lazy import is still a dependency.
"""

import ast
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parent.parent / "tsunagu"
LAYERS = [
    {"lib"},
    {"audit"},
    {"accounts"},
    {"idempotency"},
    {"network"},
    {"notifications"},
    {"facilities"},
    {"cases"},
    {"referrals"},
    {"api", "ops", "project"},
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}


def app_of(module: str) -> str | None:
    """The app a dotted module name belongs to ('project' for tsunagu.settings, urls, views…)."""
    parts = module.split(".")
    if parts[0] != "tsunagu":
        return None
    if len(parts) == 1 or not (ROOT / parts[1]).is_dir():
        return "project"
    return parts[1]


def imports_of(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def app_edges():
    """(importing app, imported app, file:line) for every import between two different apps."""
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent)
        if "migrations" in relative.parts:
            continue
        source = app_of(".".join(relative.with_suffix("").parts))
        for line, module in imports_of(path):
            target = app_of(module)
            if target and target != source:
                yield source, target, f"{relative}:{line}"


class ImportLayersTest(SimpleTestCase):
    def test_every_app_has_a_layer(self):
        apps = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
        self.assertEqual(apps - set(RANK), set(), "add the new app to LAYERS (and to the README's layout)")

    def test_apps_import_only_the_layers_below(self):
        upward = [
            f"{where}: {source} imports {target}"
            for source, target, where in app_edges()
            if RANK[target] >= RANK[source]
        ]
        self.assertEqual(upward, [])

    def test_accounts_imports_no_domain_app(self):
        domain = {"network", "facilities", "cases", "referrals", "notifications"}
        found = [where for source, target, where in app_edges() if source == "accounts" and target in domain]
        self.assertEqual(found, [])

    def test_cases_and_facilities_do_not_import_referrals(self):
        found = [
            where
            for source, target, where in app_edges()
            if source in ("cases", "facilities") and target == "referrals"
        ]
        self.assertEqual(found, [])
