"""Documents on a purchase order: kept by what their bytes are, served back as downloads, removed
with their file; viewers read them, outsiders never reach them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ams.core.files import files_prune_expired
from ams.core.models import StoredFile, StoredFileChunk
from ams.core.tenancy import team_scope
from ams.purchasing import attachments
from ams.purchasing.attachments import content_type
from ams.purchasing.models import PurchaseOrder, PurchaseOrderAttachment
from ams.purchasing.services import LineInput, create_purchase_order
from tests.factories import Personas
from tests.procurement.helpers import streamed
from tests.products.helpers import add_product
from tests.purchasing.helpers import add_supplier

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def _order(team, actor=None) -> PurchaseOrder:
    supplier = add_supplier(team, "Ningbo Mugs")
    mug = add_product(team, "MUG", name="Blue mug")
    with team_scope(team.id):
        return create_purchase_order(
            team=team,
            actor=actor,
            supplier_id=supplier.pk,
            lines=[LineInput(mug.pk, 10, unit_price=Decimal(2))],
        )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _base(p: Personas, order: PurchaseOrder) -> str:
    return f"/t/{p.team.slug}/purchasing/orders/{order.pk}/documents/"


def _add(client: Client, base: str, name: str, data: bytes, kind: str = "proforma"):
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    return client.post(base, {"kind": kind, "file": upload})


def test_a_member_keeps_a_pdf_and_a_viewer_downloads_it_byte_for_byte(personas: Personas):
    order = _order(personas.team, personas.member)
    base = _base(personas, order)
    response = _add(_client(personas.member), base, "PI 2026-041.pdf", PDF)
    assert response.status_code == 302
    with team_scope(personas.team.id):
        attachment = PurchaseOrderAttachment.objects.get()
    page = _client(personas.viewer).get(f"/t/{personas.team.slug}/purchasing/orders/{order.pk}/")
    html = page.content.decode()
    assert "PI_2026-041.pdf" in html
    assert "Proforma invoice" in html
    assert 'id="attachment-form"' not in html  # a viewer is not offered the form
    download = _client(personas.viewer).get(f"{base}{attachment.pk}/")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="PI_2026-041.pdf"'
    assert b"".join(streamed(download)) == PDF


def test_a_page_posing_as_a_pdf_and_other_types_are_refused_and_nothing_is_stored(
    personas: Personas,
):
    order = _order(personas.team, personas.member)
    client = _client(personas.member)
    for name, data in (
        ("invoice.pdf", b"<html><script>alert(1)</script></html>"),
        ("invoice.html", b"<html></html>"),
        ("setup.exe", b"MZ\x90\x00"),
        ("list.csv", b"\x00\x01\x02binary"),
    ):
        response = _add(client, _base(personas, order), name, data)
        assert response.status_code == 400
        assert "AMS keeps PDF, image, spreadsheet, Word and text files" in response.content.decode()
    with team_scope(personas.team.id):
        assert not StoredFile.objects.exists()
        assert not PurchaseOrderAttachment.objects.exists()


def test_a_file_over_the_limit_is_refused_whole(personas: Personas, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_ATTACHMENT_BYTES", 1024)
    order = _order(personas.team, personas.member)
    response = _add(_client(personas.member), _base(personas, order), "big.pdf", PDF)
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    with team_scope(personas.team.id):
        assert not StoredFile.objects.exists()
        assert not StoredFileChunk.objects.exists()


def test_removing_a_document_deletes_its_bytes_and_documents_never_expire(personas: Personas):
    order = _order(personas.team, personas.member)
    base = _base(personas, order)
    client = _client(personas.member)
    _add(client, base, "pl.csv", b"carton,units\n1,24\n", kind="packing_list")
    _add(client, base, "photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, kind="photo")
    assert files_prune_expired(team_ids=[personas.team.id]) == 0
    with team_scope(personas.team.id):
        kept = {a.file.name: a for a in PurchaseOrderAttachment.objects.select_related("file")}
        assert kept["pl.csv"].file.content_type == "text/csv"
        assert kept["photo.png"].file.content_type == "image/png"
    response = client.post(f"{base}{kept['pl.csv'].pk}/remove/")
    assert response.status_code == 302
    with team_scope(personas.team.id):
        assert list(StoredFile.objects.values_list("name", flat=True)) == ["photo.png"]
        assert StoredFileChunk.objects.count() == 1
        assert PurchaseOrderAttachment.objects.count() == 1


def test_viewers_cannot_change_documents_and_outsiders_reach_none(personas: Personas):
    order = _order(personas.team, personas.member)
    base = _base(personas, order)
    _add(_client(personas.member), base, "pi.pdf", PDF)
    with team_scope(personas.team.id):
        attachment = PurchaseOrderAttachment.objects.get()
    viewer = _client(personas.viewer)
    assert _add(viewer, base, "more.pdf", PDF).status_code == 403
    assert viewer.post(f"{base}{attachment.pk}/remove/").status_code == 403
    outsider = _client(personas.outsider)
    assert outsider.get(f"{base}{attachment.pk}/").status_code == 404
    assert outsider.post(f"{base}{attachment.pk}/remove/").status_code == 404
    assert _add(outsider, base, "x.pdf", PDF).status_code == 404
    # The outsider's own order cannot reach this team's document through its id either.
    theirs = _order(personas.outsider_team)
    their_base = f"/t/{personas.outsider_team.slug}/purchasing/orders/{theirs.pk}/documents/"
    assert outsider.get(f"{their_base}{attachment.pk}/").status_code == 404
    with team_scope(personas.team.id):
        assert PurchaseOrderAttachment.objects.count() == 1


def test_the_type_comes_from_the_bytes_and_the_name_together():
    assert content_type(PDF, "a.PDF") == "application/pdf"
    assert content_type(PDF, "a.png") is None
    assert content_type(b"\xff\xd8\xff\xe0", "photo.jpeg") == "image/jpeg"
    assert content_type(b"PK\x03\x04", "sheet.xlsx") == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert content_type(b"PK\x03\x04", "archive.zip") is None
    assert content_type("Menge;Preis\nÄ;1\n".encode(), "list.csv") == "text/csv"
    assert content_type(b"\xe4\xf6\xfc latin-1", "notes.txt") is None
    # A UTF-8 character cut at the end of the first bytes read is still text.
    assert content_type(b"a" * 2047 + "é".encode()[:1], "notes.txt") == "text/plain"
