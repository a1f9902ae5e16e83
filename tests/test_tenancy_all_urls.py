"""Every URL pattern of the project, every object kind: another facility's user gets 404.

The test walks the URL resolver, so a new view is checked the day it is added. For each pattern
with path arguments it builds the URL with the ids of objects that belong to facilities the
outsider has nothing to do with, and asks for it with GET and POST as two outsiders (a staff
member and a facility admin of an unrelated facility). Each must get 404: not 200 (a leak),
not 403 (which confirms the object exists) and not 500. A pattern whose arguments the registry
below cannot fill fails the test, so a new kind of id forces a new entry here.

As a control, the object's own side (its owner or addressee) must get something other than 404
from the same URL, so the 404 comes from the tenancy check and not from a wrong id.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from tests.base import PersonaTestCase, make_user
from tests.referral_factories import make_case, send
from tsunagu.accounts.models import Membership
from tsunagu.facilities.models import CoordinationDesk, Facility, ImportRun, Unit

# Patterns visible to every logged-in user of the network by design (DOMAIN.md §7).
NETWORK_WIDE = {
    "facilities:detail": "施設ページ: the directory and every facility page are open to all logged-in users",
}
# Patterns only network-office users may use: others get 403 by role before any lookup.
OFFICE_ONLY = {
    "facilities:import_run": "an import run belongs to the network office, not to a facility",
}
# Namespaces outside the product's tenancy.
SKIPPED_NAMESPACES = {
    "admin": "Django admin: only is_staff users get in; everyone else is sent to the admin login",
}


@dataclass
class Kind:
    """How to fill one path argument: a foreign object, the outsider's own one, and who owns it."""

    foreign: Callable
    own: Callable
    insider: Callable


# URL argument name → object kind. A new argument name needs an entry here.
REGISTRY = {
    "facility_id": Kind(
        lambda w: w.care_home.public_id, lambda w: w.other.public_id, lambda w: w.receiver_admin
    ),
    "unit_id": Kind(
        lambda w: w.care_unit.public_id, lambda w: w.other_unit.public_id, lambda w: w.receiver_admin
    ),
    "desk_id": Kind(
        lambda w: w.foreign_desk.public_id, lambda w: w.own_desk.public_id, lambda w: w.receiver_admin
    ),
    "user_id": Kind(
        lambda w: w.receiver_nurse.public_id, lambda w: w.outsider.public_id, lambda w: w.receiver_admin
    ),
    "run_id": Kind(lambda w: w.import_run.public_id, lambda w: w.import_run.public_id, lambda w: w.office),
    # Reference codes of cases (cases:*, the referral board of a case, offers on a case).
    "ref": Kind(lambda w: w.foreign_case.ref, lambda w: w.own_case.ref, lambda w: w.sender_msw),
    # Referrals (HTML and API).
    "public_id": Kind(
        lambda w: w.foreign_referral.public_id, lambda w: w.own_referral.public_id, lambda w: w.sender_msw
    ),
}
# Where the owner of the object is someone else than the registry says.
INSIDER_OVERRIDES = {
    # Offers are made by receivers on cases published for offers; the owner cannot offer on its own case.
    "referrals:offer": lambda w: (w.receiver_nurse, {"ref": w.published_case.ref}),
}

# What a POST carries, so that it passes form or schema checks and reaches the lookup.
POST_DATA = {
    "referrals:offer": lambda w, user: {"unit": str((user.facility.units.first()).public_id), "message": ""},
    "api-v1:transition": lambda w, user: {"json": {"to": "viewed"}},
}


def iter_patterns(patterns=None, namespace=""):
    """(view name, pattern) for every URL pattern of the project, nested includes too."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from iter_patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield name, entry


def path_arguments(pattern):
    return list(getattr(pattern.pattern, "converters", {}).keys())


class TenancyWorld(PersonaTestCase):
    """The standard personas plus one object of every kind on each side (used by other tests too)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_admin = make_user(cls.other, role=Membership.Role.FACILITY_ADMIN, username="other_admin")
        cls.foreign_desk = CoordinationDesk.objects.create(facility=cls.care_home, name="相談室")
        cls.own_desk = CoordinationDesk.objects.create(facility=cls.other, name="支援相談室")
        cls.foreign_case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])
        cls.published_case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"], published=True)
        cls.own_case = make_case(cls.other, by=cls.outsider, needs=["peg"])
        [cls.foreign_referral] = send(cls.foreign_case, [cls.care_unit], by=cls.sender_msw)
        cls.own_unit_elsewhere = cls.care_unit
        [cls.own_referral] = send(cls.own_case, [cls.care_unit], by=cls.outsider)
        cls.import_run = ImportRun.objects.create(
            format=Facility.Source.choices[0][0],
            filename="x.csv",
            content=b"",
            created_by=cls.office,
        )


class AllUrlsTenancyTests(TenancyWorld):
    def unmapped_patterns(self):
        unmapped = []
        for name, pattern in iter_patterns():
            if name.split(":")[0] in SKIPPED_NAMESPACES:
                continue
            missing = [arg for arg in path_arguments(pattern) if arg not in REGISTRY]
            if missing:
                unmapped.append(f"{name} {pattern.pattern} → {missing}")
        return unmapped

    def test_every_pattern_is_covered(self):
        """Fails for a new pattern whose path arguments the registry cannot fill."""
        self.assertEqual(
            self.unmapped_patterns(),
            [],
            "add these URL arguments to REGISTRY in tests/test_tenancy_all_urls.py",
        )

    def object_patterns(self):
        for name, pattern in iter_patterns():
            if name.split(":")[0] in SKIPPED_NAMESPACES:
                continue
            arguments = path_arguments(pattern)
            if arguments and all(arg in REGISTRY for arg in arguments):
                yield name, arguments

    def urls_for(self, name, arguments):
        """Every mix of foreign and own objects with at least one foreign."""
        for choice in itertools.product([True, False], repeat=len(arguments)):
            if not any(choice):
                continue
            kwargs = {
                arg: (REGISTRY[arg].foreign if foreign else REGISTRY[arg].own)(self)
                for arg, foreign in zip(arguments, choice)
            }
            yield reverse(name, kwargs=kwargs), not all(choice)

    def ask(self, user, method, url, name):
        """One request whose effects are rolled back, so the checks do not change each other."""
        self.client.force_login(user)
        with transaction.atomic():
            if method == "post" and name in POST_DATA:
                data = POST_DATA[name](self, user)
                if "json" in data:
                    response = self.client.post(url, data["json"], content_type="application/json")
                else:
                    response = self.client.post(url, data)
            else:
                response = getattr(self.client, method)(url)
            transaction.set_rollback(True)
        return response

    def statuses(self, user, url, name):
        return {method: self.ask(user, method, url, name).status_code for method in ("get", "post")}

    def outsider_problems(self):
        """(view, url, user, statuses) for every answer to an outsider that is not what it must be."""
        problems, checked = [], 0
        for name, arguments in self.object_patterns():
            for url, mixed in self.urls_for(name, arguments):
                # In a mix with the outsider's own objects only its admin takes part: a staff member
                # may rightly get 403 for an admin action on its own facility.
                for outsider in (self.other_admin,) if mixed else (self.outsider, self.other_admin):
                    statuses = self.statuses(outsider, url, name)
                    checked += 1
                    answers = set(statuses.values()) - {405}
                    if 500 in answers:
                        ok = False
                    elif name in NETWORK_WIDE:
                        ok = statuses["get"] in {200, 405}
                    elif name in OFFICE_ONLY:
                        ok = answers == {403}
                    else:
                        # 405 only says which methods the URL takes; every other answer must be
                        # 404, and at least one method must reach the lookup.
                        ok = answers == {404}
                    if not ok:
                        problems.append((name, url, outsider.username, statuses))
        return problems, checked

    def test_outsiders_get_404_for_every_foreign_object(self):
        problems, checked = self.outsider_problems()
        self.assertEqual(problems, [])
        self.assertGreater(checked, 20)

    def test_a_view_that_forgets_the_check_is_caught(self):
        with override_settings(ROOT_URLCONF=__name__):
            problems, _ = self.outsider_problems()
            unmapped = self.unmapped_patterns()
        self.assertEqual(
            {(name, user) for name, _, user, _ in problems},
            {
                ("leaky_unit", "outsider"),
                ("leaky_unit", "other_admin"),
                ("forbidding_unit", "outsider"),
                ("forbidding_unit", "other_admin"),
            },
        )
        self.assertEqual(unmapped, ["unknown_widget widgets/<uuid:widget_id>/ → ['widget_id']"])

    def test_the_owner_reaches_the_same_urls(self):
        """Control: the ids are real, so the outsiders' 404 comes from the tenancy check."""
        for name, arguments in self.object_patterns():
            if name in NETWORK_WIDE:
                continue
            if name in INSIDER_OVERRIDES:
                insider, kwargs = INSIDER_OVERRIDES[name](self)
            else:
                insider = REGISTRY[arguments[0]].insider(self)
                kwargs = {arg: REGISTRY[arg].foreign(self) for arg in arguments}
            url = reverse(name, kwargs=kwargs)
            statuses = self.statuses(insider, url, name)
            with self.subTest(view=name, url=url, user=insider.username, statuses=statuses):
                self.assertNotIn(500, statuses.values())
                self.assertTrue(set(statuses.values()) - {404, 405}, "the owner cannot reach it either")

    def test_the_walk_sees_nested_and_api_patterns(self):
        names = {name for name, _ in iter_patterns()}
        self.assertIn("facilities:unit_edit", names)
        self.assertTrue(any(name.startswith("api-") for name in names))


# A URL configuration with views that forget the tenancy check, to prove the test catches them.
def _leaky_unit(request, unit_id):
    return HttpResponse(get_object_or_404(Unit, public_id=unit_id).name)


def _forbidding_unit(request, unit_id):
    unit = get_object_or_404(Unit, public_id=unit_id)
    if unit.facility != request.user.facility:
        raise PermissionDenied
    return HttpResponse(unit.name)


urlpatterns = [
    path("", include("tsunagu.urls")),
    path("leaky/<uuid:unit_id>/", _leaky_unit, name="leaky_unit"),
    path("forbidding/<uuid:unit_id>/", _forbidding_unit, name="forbidding_unit"),
    path("widgets/<uuid:widget_id>/", _leaky_unit, name="unknown_widget"),
]
