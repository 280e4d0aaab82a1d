from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ams.billing.entitlements import Action, Decision, may
from ams.billing.models import Status, Subscription
from ams.core.tenancy import team_scope
from ams.teams.models import Team

pytestmark = pytest.mark.django_db


def _set(team: Team, **fields: Any) -> None:
    with team_scope(team.id):
        Subscription.objects.filter(team=team).update(**fields)


def _may(team: Team, action: Action, **kwargs: Any) -> Decision:
    with team_scope(team.id):
        return may(team, action, **kwargs)


def test_a_new_team_is_on_a_seven_day_trial_without_stripe(personas):
    with team_scope(personas.team.id):
        subscription = Subscription.objects.get(team=personas.team)
    assert subscription.status == Status.TRIAL
    assert subscription.stripe_customer_id == ""
    assert subscription.trial_end is not None
    left = subscription.trial_end - timezone.now()
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    assert _may(personas.team, Action.WRITE)
    assert _may(personas.team, Action.SYNC)


def test_when_the_trial_runs_out_reading_stays_and_change_and_sync_stop(personas):
    _set(personas.team, trial_end=timezone.now() - timedelta(seconds=1))
    assert _may(personas.team, Action.READ)
    assert _may(personas.team, Action.MANAGE_BILLING)
    decision = _may(personas.team, Action.SYNC)
    assert not decision
    assert decision.code == "lapsed"
    assert "Nothing was deleted" in decision.reason
    assert not _may(personas.team, Action.WRITE)
    assert not _may(personas.team, Action.CONNECT_ACCOUNT, in_use=0)
    # The other team is untouched.
    assert _may(personas.outsider_team, Action.SYNC)


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (Status.ACTIVE, True),
        (Status.TRIALING, True),
        (Status.PAST_DUE, True),
        (Status.CANCELED, False),
        (Status.UNPAID, False),
        (Status.INCOMPLETE_EXPIRED, False),
        (Status.PAUSED, False),
    ],
)
def test_stripe_statuses(personas, status, allowed):
    _set(personas.team, status=status, trial_end=timezone.now() - timedelta(days=1))
    assert bool(_may(personas.team, Action.SYNC)) is allowed
    assert _may(personas.team, Action.READ)


def test_an_incomplete_first_payment_does_not_cut_a_running_trial_short(personas):
    _set(personas.team, status=Status.INCOMPLETE)
    assert _may(personas.team, Action.WRITE)
    _set(personas.team, trial_end=timezone.now() - timedelta(minutes=1))
    assert not _may(personas.team, Action.WRITE)


def test_plan_limits(personas):
    _set(personas.team, status=Status.ACTIVE, plan="starter")
    assert _may(personas.team, Action.CONNECT_ACCOUNT, in_use=0)
    refused = _may(personas.team, Action.CONNECT_ACCOUNT, in_use=1)
    assert not refused
    assert refused.code == "limit"
    assert _may(personas.team, Action.INVITE_MEMBER, in_use=2)
    assert not _may(personas.team, Action.INVITE_MEMBER, in_use=3)
    _set(personas.team, plan="growth")
    assert _may(personas.team, Action.CONNECT_ACCOUNT, in_use=1)
    with pytest.raises(TypeError):
        _may(personas.team, Action.ADD_MARKETPLACE)


def test_a_team_that_predates_billing_gets_the_trial_it_would_have_had(personas):
    with team_scope(personas.team.id):
        Subscription.objects.filter(team=personas.team).delete()
    assert _may(personas.team, Action.SYNC)
    personas.team.created_at = timezone.now() - timedelta(days=8)
    assert not _may(personas.team, Action.SYNC)


def test_the_team_gate_asks_billing_and_refuses_to_guess_without_it(personas, monkeypatch):
    """ams.teams sits below billing: it asks through ams.teams.entitlements, answered by billing's
    policy; with no policy installed it raises rather than allowing everything."""
    from django.core.exceptions import ImproperlyConfigured

    from ams.teams import entitlements as team_entitlements

    _set(personas.team, trial_end=timezone.now() - timedelta(seconds=1))
    with team_scope(personas.team.id):
        assert team_entitlements.may(personas.team, Action.WRITE).code == "lapsed"
    with team_scope(personas.outsider_team.id):
        assert team_entitlements.may(personas.outsider_team, Action.WRITE)

    monkeypatch.setattr(team_entitlements, "_policy", [])
    with team_scope(personas.outsider_team.id), pytest.raises(ImproperlyConfigured):
        team_entitlements.may(personas.outsider_team, Action.READ)
