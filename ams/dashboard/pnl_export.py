"""The profit and loss statement as a file: one row per line and currency, both periods."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from django.utils import timezone

from ams.billing.entitlements import history_months
from ams.core.export_jobs import export_register
from ams.core.exports import Cell, ExportSource
from ams.dashboard import overview as ov
from ams.dashboard.exports import Data, _for_job
from ams.dashboard.pnl import SECTIONS, statements
from ams.dashboard.pnl_forms import PnlPeriodForm
from ams.finance.models import ChargeDay
from ams.teams.models import Team

HEADER = (
    "section",
    "line",
    "currency",
    "period_first",
    "period_last",
    "amount",
    "previous_first",
    "previous_last",
    "previous_amount",
    # Each line in the team's home currency at the ECB's rate of each day; empty without a rate.
    "home_currency",
    "amount_home",
    "previous_amount_home",
)


def plan_period(team: Team, form: PnlPeriodForm, today: date) -> tuple[ov.Period, str, str, bool]:
    """The chosen period cut to the plan's history; whether it was cut."""
    period, key, label = form.chosen(today=today)
    cut = ov.clamp(period, ov.plan_history_start(today, history_months(team)))
    return cut, key, label, cut != period


def pnl_export(team: Team, data: Data) -> ExportSource:
    form = PnlPeriodForm(data)
    period, key, _label, _cut = plan_period(team, form, timezone.now().date())
    previous = period.previous()
    found = statements(team, period)

    def rows() -> Iterator[Sequence[Cell]]:
        dates = (period.first, period.last)
        before = (previous.first, previous.last)
        for s in found:
            for line in s.lines:
                yield (
                    SECTIONS[line.section],
                    line.label,
                    s.currency,
                    *dates,
                    line.figure.current,
                    *before,
                    line.figure.previous,
                    s.home,
                    line.home.current,
                    line.home.previous,
                )
            for label, figure, home in (
                ("Net proceeds from Amazon", s.net_proceeds, s.net_proceeds_home),
                ("Other expenses", s.expenses, s.expenses_home),
                ("Net profit", s.net_profit, s.net_profit_home),
            ):
                yield (
                    "Result",
                    label,
                    s.currency,
                    *dates,
                    figure.current,
                    *before,
                    figure.previous,
                    s.home,
                    home.current,
                    home.previous,
                )

    params = {"period": key}
    if key == "custom":
        params |= {"date_from": period.first.isoformat(), "date_to": period.last.isoformat()}
    return ExportSource(
        kind="pnl",
        table="profit-and-loss",
        header=HEADER,
        rows=rows,
        counted=ChargeDay.objects.filter(team=team, day__gte=previous.first, day__lte=period.last),
        params=params,
    )


def register() -> None:
    export_register("pnl", _for_job(pnl_export))
