"""The deposits page: each settlement's deposit matched to the seller's bank statement, imported
by an owner or admin once per booking with columns chosen once; nothing of another team, ever."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ams.amazon.purge import connection_tables
from ams.core.tenancy import team_scope
from ams.finance.models import BankLayout, BankLine, BankStatement, Settlement
from ams.teams.models import Team
from tests.amazon.factories import make_connection
from tests.factories import Personas
from tests.finance.bank_files import AMERICAN, GERMAN

pytestmark = pytest.mark.django_db

GERMAN_COLUMNS = {
    "date_column": "0",
    "date_format": "DD.MM.YYYY",
    "amount_column": "5",
    "debit_column": "",
    "decimal_mark": ",",
    "description_columns": ["2", "3", "4"],
    "currency": "EUR",
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def settlement(
    team: Team, settlement_id: str, deposit: str, total: str, currency: str = "EUR"
) -> None:
    connection = make_connection(team)
    with team_scope(team.id):
        Settlement.objects.create(
            team=team,
            connection=connection,
            settlement_id=settlement_id,
            deposit_at=datetime.fromisoformat(deposit).replace(tzinfo=UTC),
            currency=currency,
            total_amount=Decimal(total),
            synced_at=timezone.now(),
        )


@pytest.fixture
def deposits(personas: Personas) -> Personas:
    team = personas.team
    settlement(team, "S-PAID", "2026-07-02", "1582.89")  # booked on the day, to the cent
    settlement(team, "S-SHORT", "2026-07-03", "12.50")  # Amazon's booking says 12,00
    settlement(team, "S-MISSING", "2026-07-01", "200.00")  # in the statement's period, not on it
    settlement(team, "S-LATER", "2026-09-01", "300.00")  # after the statement's period
    settlement(team, "S-OWED", "2026-07-16", "-10.00")  # negative: nothing paid out
    settlement(personas.outsider_team, "S-SECRET", "2026-07-02", "1582.89")
    return personas


def url(p: Personas, name: str, team: Team | None = None) -> str:
    return f"/t/{(team or p.team).slug}/settlements/deposits/{name}"


def upload(client: Client, p: Personas, data: bytes, name: str = "konto.csv"):
    return client.post(url(p, "statement/"), {"file": SimpleUploadedFile(name, data, "text/csv")})


def lines(team: Team) -> list[tuple[str, Decimal]]:
    with team_scope(team.id):
        return list(
            BankLine.objects.filter(team=team).order_by("id").values_list("description", "amount")
        )


def row(html: str, settlement_id: str) -> str:
    return html.split(f'data-settlement="{settlement_id}"')[1].split("</tr>")[0]


def test_an_owner_chooses_the_columns_once_and_each_booking_is_stored_once(deposits: Personas):
    owner = client_for(deposits.owner)
    response = upload(owner, deposits, GERMAN)
    assert response.status_code == 302
    columns_url = response["Location"]
    assert "/settlements/deposits/columns/?statement=" in columns_url

    page = owner.get(columns_url).content.decode()
    assert "Auftraggeber / Begünstigter" in page
    assert "AMAZON PAYMENTS EUROPE S.C.A." in page  # the preview
    assert 'value="DD.MM.YYYY" selected' in page  # suggested from the cells
    assert 'value="," selected' in page
    response = owner.post(columns_url, GERMAN_COLUMNS)
    assert response.status_code == 302
    assert response["Location"].endswith("/settlements/deposits/")
    # The two equal coffees of 3 July are two bookings.
    assert [amount for _d, amount in lines(deposits.team)] == [
        Decimal("1582.89"),
        Decimal("-3.50"),
        Decimal("-3.50"),
        Decimal("12.00"),
    ]

    html = client_for(deposits.viewer).get(url(deposits, "")).content.decode()
    assert 'data-status="matched"' in row(html, "S-PAID")
    assert "2 Jul 2026 · 1,582.89 EUR" in row(html, "S-PAID")
    assert "Amount differs by -0.50" in row(html, "S-SHORT")
    assert 'data-status="missing"' in row(html, "S-MISSING")
    assert 'data-status="no statement"' in row(html, "S-LATER")
    owed = row(html, "S-OWED")
    assert 'data-status="nothing paid out"' in owed
    assert "10.00 EUR" in owed
    missing = html.split('id="missing-deposits"')[1].split("</ul>")[0]
    assert "S-MISSING" in missing
    assert "S-LATER" not in missing
    assert 'class="difference">-0.50 EUR<' in html.split('id="differing-deposits"')[1]
    assert "S-SECRET" not in html

    # The same statement again, and the team's columns are remembered: imported at once.
    response = upload(owner, deposits, GERMAN, "konto-again.csv")
    assert response.status_code == 302
    assert response["Location"].endswith("/settlements/deposits/")
    assert len(lines(deposits.team)) == 4
    with team_scope(deposits.team.id):
        again = BankStatement.objects.get(file_name="konto-again.csv")
        assert (again.lines_added, again.lines_known, again.rows_skipped) == (0, 4, 1)
        assert again.content == b""  # the file is not kept once its bookings are
        assert BankLayout.objects.filter(team=deposits.team).count() == 1


def test_bookings_from_amazon_that_pay_no_deposit_are_listed(deposits: Personas):
    admin = client_for(deposits.admin)
    columns_url = upload(admin, deposits, AMERICAN)["Location"]
    response = admin.post(
        columns_url,
        {
            "date_column": "0",
            "date_format": "YYYY-MM-DD",
            "amount_column": "2",
            "decimal_mark": ".",
            "description_columns": ["1"],
            "currency": "USD",
        },
    )
    assert response.status_code == 302
    html = admin.get(url(deposits, "")).content.decode()
    listed = html.split('id="unmatched-lines"')[1].split("</ul>")[0]
    assert "AMAZON.COM SERVICES LLC PAYOUT" in listed
    assert "AMZN MKTP PAYMENTS" in listed
    assert "RENT" not in listed
    assert 'data-status="no statement"' in row(html, "S-PAID")  # EUR deposits, a USD statement


def test_columns_that_do_not_read_the_file_are_refused_and_nothing_is_stored(deposits: Personas):
    owner = client_for(deposits.owner)
    columns_url = upload(owner, deposits, GERMAN)["Location"]
    response = owner.post(columns_url, {**GERMAN_COLUMNS, "date_format": "YYYY-MM-DD"})
    assert response.status_code == 400
    assert "could not be read with these columns" in response.content.decode()
    assert lines(deposits.team) == []
    with team_scope(deposits.team.id):
        waiting = BankStatement.objects.get(team=deposits.team)
        assert waiting.status == BankStatement.Status.COLUMNS
        assert waiting.content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7 a statement as a PDF", "This is a PDF"),
        (b"PK\x03\x04 a workbook", "Excel workbook"),
        (b"Date,Amount\n\x00\x01\x02", "not text"),
        (b'Date,Payee,Amount\n2026-07-02,"=HYPERLINK(""x"")",1.00\n', ""),
    ],
)
def test_a_hostile_file_is_refused_with_its_reason(deposits: Personas, data: bytes, message: str):
    owner = client_for(deposits.owner)
    response = upload(owner, deposits, data)
    if not message:
        # A formula is refused row by row, when the columns are chosen: the only row is one.
        response = owner.post(
            response["Location"],
            {
                "date_column": "0",
                "date_format": "YYYY-MM-DD",
                "amount_column": "2",
                "decimal_mark": ".",
                "description_columns": ["1"],
                "currency": "USD",
            },
        )
        assert response.status_code == 400
        assert "a spreadsheet formula in the description" in response.content.decode()
        assert lines(deposits.team) == []
        return
    assert response.status_code == 400
    assert message in response.content.decode()
    with team_scope(deposits.team.id):
        assert not BankStatement.objects.exists()


def test_too_many_rows_are_refused_before_anything_is_kept(deposits: Personas):
    data = b"Date,Description,Amount\n" + b"2026-07-02,AMAZON,1.00\n" * 200_001
    response = upload(client_for(deposits.owner), deposits, data)
    assert response.status_code == 400
    assert "more than 200,000 rows" in response.content.decode()
    with team_scope(deposits.team.id):
        assert not BankStatement.objects.exists()


def test_members_and_viewers_see_the_deposits_but_cannot_import(deposits: Personas):
    owner = client_for(deposits.owner)
    columns_url = upload(owner, deposits, GERMAN)["Location"]
    for user in (deposits.viewer, deposits.member):
        client = client_for(user)
        html = client.get(url(deposits, "")).content.decode()
        assert 'data-settlement="S-PAID"' in html
        assert 'id="statement-form"' not in html
        assert "Choose its columns" not in html
        assert upload(client, deposits, GERMAN).status_code == 403
        assert client.get(columns_url).status_code == 403
        assert client.post(columns_url, GERMAN_COLUMNS).status_code == 403
    assert lines(deposits.team) == []
    assert 'id="statement-form"' in owner.get(url(deposits, "")).content.decode()


def test_an_outsider_sees_nothing(deposits: Personas):
    owner = client_for(deposits.owner)
    columns_url = upload(owner, deposits, GERMAN)["Location"]
    owner.post(columns_url, GERMAN_COLUMNS)
    statement = columns_url.split("statement=")[1]
    outsider = client_for(deposits.outsider)
    assert outsider.get(url(deposits, "")).status_code == 404
    assert upload(outsider, deposits, GERMAN).status_code == 404
    theirs = url(deposits, "columns/", deposits.outsider_team)
    assert outsider.get(theirs, {"statement": statement}).status_code == 404
    assert outsider.post(theirs, {**GERMAN_COLUMNS, "statement": statement}).status_code == 404
    html = outsider.get(url(deposits, "", deposits.outsider_team)).content.decode()
    assert 'data-settlement="S-SECRET"' in html
    assert "S-PAID" not in html
    assert "AMAZON PAYMENTS" not in html
    assert 'class="statement"' not in html
    assert lines(deposits.outsider_team) == []


def test_bank_lines_are_the_teams_not_a_connections_and_outlive_its_purge():
    tables = {t.name for t in connection_tables()}
    assert "finance_settlement" in tables
    assert not {"finance_bankline", "finance_bankstatement", "finance_banklayout"} & tables


def test_a_file_past_20_mb_is_refused_before_it_is_read(deposits: Personas):
    data = b"Date,Description,Amount\n" + b"2026-07-02,AMAZON PAYMENTS,1.00\n" * 700_000
    assert len(data) > 20 * 1024 * 1024
    response = upload(client_for(deposits.owner), deposits, data)
    assert response.status_code == 400
    assert "larger than 20 MB" in response.content.decode()
    with team_scope(deposits.team.id):
        assert not BankStatement.objects.exists()


def test_a_statement_waiting_for_its_columns_can_be_discarded_by_its_team_only(deposits: Personas):
    owner = client_for(deposits.owner)
    columns_url = upload(owner, deposits, GERMAN)["Location"]
    statement = columns_url.split("statement=")[1]
    outsider = client_for(deposits.outsider)
    theirs = url(deposits, "discard/", deposits.outsider_team)
    assert outsider.post(theirs, {"statement": statement}).status_code == 404
    assert (
        client_for(deposits.viewer)
        .post(url(deposits, "discard/"), {"statement": statement})
        .status_code
        == 403
    )
    with team_scope(deposits.team.id):
        assert BankStatement.objects.filter(team=deposits.team).count() == 1
    response = owner.post(url(deposits, "discard/"), {"statement": statement})
    assert response.status_code == 302
    with team_scope(deposits.team.id):
        assert not BankStatement.objects.filter(team=deposits.team).exists()
    # An imported statement stays: it is the record of its bookings.
    columns_url = upload(owner, deposits, GERMAN)["Location"]
    owner.post(columns_url, GERMAN_COLUMNS)
    imported = columns_url.split("statement=")[1]
    owner.post(url(deposits, "discard/"), {"statement": imported})
    assert len(lines(deposits.team)) == 4


def _listed(html: str) -> list[str]:
    table = html.split('id="deposits-table"')[1].split("</table>")[0]
    return re.findall(r'<tr class="deposit" data-settlement="([^"]*)"', table)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["S-LATER", "S-OWED", "S-SHORT", "S-PAID", "S-MISSING"]),  # newest deposit first
        ("deposit", ["S-MISSING", "S-PAID", "S-SHORT", "S-OWED", "S-LATER"]),
        ("-deposited", ["S-PAID", "S-LATER", "S-MISSING", "S-SHORT", "S-OWED"]),
        ("settlement", ["S-LATER", "S-MISSING", "S-OWED", "S-PAID", "S-SHORT"]),
        ("-settlement", ["S-SHORT", "S-PAID", "S-OWED", "S-MISSING", "S-LATER"]),
    ],
)
def test_the_deposits_sort_by_a_column_either_way(deposits: Personas, sort: str, expected):
    html = client_for(deposits.viewer).get(url(deposits, ""), {"sort": sort}).content.decode()
    assert _listed(html) == expected
    assert "S-SECRET" not in html
    if sort:
        aria = "descending" if sort.startswith("-") else "ascending"
        assert f'aria-sort="{aria}" data-sort="{sort.lstrip("-")}"' in html


def test_an_unknown_deposit_sort_says_so_and_keeps_the_usual_order(deposits: Personas):
    html = client_for(deposits.viewer).get(url(deposits, ""), {"sort": "bank"}).content.decode()
    assert "Unknown sort column “bank”" in html
    assert _listed(html) == ["S-LATER", "S-OWED", "S-SHORT", "S-PAID", "S-MISSING"]
    assert (
        client_for(deposits.outsider).get(url(deposits, ""), {"sort": "deposit"}).status_code == 404
    )
