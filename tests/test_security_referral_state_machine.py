"""Property test: random sequences of actions by random users never break the referral's rules.

After every step: at most one confirmed referral per case; every referral's events form one
chain of steps from the transition table that ends in its current status; a refused action
changes nothing; a confirmed case is matched and has no other open referral.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.base import make_facility, make_municipality, make_unit, make_user
from tests.referral_factories import make_case
from tsunagu.accounts.models import Membership
from tsunagu.cases.models import Case
from tsunagu.referrals import services
from tsunagu.referrals.models import Referral, ReferralEvent, Side
from tsunagu.referrals.services import TransitionRefused

STATUSES = list(Referral.Status.values)
DECLINE_REASONS = ["", *Referral.DeclineReason.values]


class ReferralStateMachineTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        hiratsuka = make_municipality()
        cls.hospital = make_facility("平塚中央病院", kind_code="acute", municipality=hiratsuka)
        cls.homes = [make_facility(f"特養{n}", kind_code="tokuyo", municipality=hiratsuka) for n in range(3)]
        cls.units = [make_unit(home, name="本体", capabilities=["peg"], free_now=1) for home in cls.homes]
        cls.sender = make_user(cls.hospital, username="msw")
        cls.receivers = [make_user(home, username=f"home{n}") for n, home in enumerate(cls.homes)]
        cls.office = make_user(None, username="office", is_office=True)
        cls.sender_admin = make_user(cls.hospital, role=Membership.Role.FACILITY_ADMIN, username="msw_admin")

    def actors(self):
        # Index 5 is the system (the worker).
        return [self.sender, *self.receivers, self.office, None]

    def start(self, with_offer):
        case = make_case(self.hospital, by=self.sender, needs=["peg"], published=True)
        services.send_request(case, self.units[:2], by=self.sender)
        if with_offer:
            services.make_offer(case, self.units[2], by=self.receivers[2])
        return case

    def snapshot(self, case):
        return {
            r.pk: (r.status, r.events.count())
            for r in Referral.objects.filter(case=case).prefetch_related("events")
        }

    def check_invariants(self, case):
        referrals = list(Referral.objects.filter(case=case).order_by("id"))
        confirmed = [r for r in referrals if r.status == Referral.Status.CONFIRMED]
        self.assertLessEqual(len(confirmed), 1)
        case.refresh_from_db()
        if confirmed:
            self.assertEqual(case.status, Case.Status.MATCHED)
            self.assertFalse([r for r in referrals if r.is_open])
        for referral in referrals:
            events = list(ReferralEvent.objects.filter(referral=referral).order_by("at", "id"))
            self.assertTrue(events)
            self.assertEqual(events[0].from_status, "")
            self.assertIn(events[0].to_status, {Referral.Status.SENT, Referral.Status.OFFERED})
            for before, after in zip(events, events[1:]):
                self.assertEqual(after.from_status, before.to_status)
                self.assertIn((referral.direction, after.from_status, after.to_status), Referral.TRANSITIONS)
            self.assertEqual(events[-1].to_status, referral.status)
            if not referral.is_open:
                self.assertIsNotNone(referral.closed_at)
            if referral.status == Referral.Status.ACCEPTED:
                self.assertIsNotNone(referral.earliest_date)

    def right_actor(self, referral, side):
        if side == Side.SENDER:
            return self.sender
        if side == Side.RECEIVER:
            return self.receivers[self.units.index(referral.unit)]
        return None

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def test_random_actions_keep_the_rules(self, data):
        case = self.start(with_offer=data.draw(st.booleans(), label="with an offer"))
        actors = self.actors()
        self.check_invariants(case)
        for _ in range(data.draw(st.integers(3, 30), label="steps")):
            before = self.snapshot(case)
            referrals = list(
                Referral.objects.filter(case=case).select_related("case", "unit", "receiver").order_by("id")
            )
            kind = data.draw(
                st.sampled_from(["transition"] * 12 + ["withdraw_case", "expire"]), label="action"
            )
            referral = data.draw(st.sampled_from(referrals), label="referral")
            if kind == "transition":
                allowed = [
                    new
                    for (direction, old, new) in Referral.TRANSITIONS
                    if direction == referral.direction and old == referral.status
                ]
                # Mostly steps the table allows from here, sometimes anything at all.
                to = data.draw(
                    st.sampled_from(allowed)
                    if allowed and data.draw(st.integers(0, 4), label="legal") > 0
                    else st.sampled_from(STATUSES),
                    label="to",
                )
                side = referral.side_for(to)
                by = (
                    self.right_actor(referral, side)
                    if data.draw(st.integers(0, 4), label="right actor") > 0
                    else data.draw(st.sampled_from(actors), label="actor")
                )
                # Mostly the reason the step needs (one for a declined request, none otherwise).
                needs_reason = (
                    to == Referral.Status.DECLINED and referral.direction == Referral.Direction.REQUEST
                )
                if data.draw(st.integers(0, 4), label="fitting reason") > 0:
                    reason = (
                        data.draw(st.sampled_from(DECLINE_REASONS[1:]), label="reason")
                        if needs_reason
                        else ""
                    )
                else:
                    reason = data.draw(st.sampled_from(DECLINE_REASONS), label="reason")
                with_date = data.draw(st.integers(0, 4), label="date") > 0
                old = referral.status
                try:
                    services.transition(
                        referral,
                        to,
                        by=by,
                        decline_reason=reason,
                        decline_note="満床のため" if reason == "other" else "",
                        earliest_date=timezone.localdate() + timedelta(days=1) if with_date else None,
                    )
                except TransitionRefused:
                    self.assertEqual(self.snapshot(case), before)
                else:
                    # Only steps in the table, only by the side the table names.
                    self.assertIsNotNone(side)
                    self.assertEqual(services.actor_side(referral, by), side)
                    self.assertEqual(Referral.objects.get(pk=referral.pk).status, to)
                    self.assertNotEqual(old, to)
                    event(f"{referral.direction}: {old} → {to}")
            elif kind == "withdraw_case":
                try:
                    services.withdraw_case(case, by=data.draw(st.sampled_from(actors), label="actor"))
                except (TransitionRefused, ValidationError):
                    pass
            else:
                Referral.objects.filter(pk=referral.pk).update(deadline=timezone.now() - timedelta(minutes=1))
                waiting = referral.status in (*Referral.AWAITING_RECEIVER, Referral.Status.OFFERED)
                services.expire_overdue_referrals()
                if waiting:
                    self.assertEqual(Referral.objects.get(pk=referral.pk).status, Referral.Status.EXPIRED)
            self.check_invariants(case)

    def test_the_table_only_names_known_statuses_and_sides(self):
        for (direction, old, new), side in Referral.TRANSITIONS.items():
            self.assertIn(direction, Referral.Direction.values)
            self.assertIn(old, STATUSES)
            self.assertIn(new, STATUSES)
            self.assertNotEqual(old, new)
            self.assertIn(side, Side.values)
