from __future__ import annotations

from typing import Any

from django import forms

from ams.shipments.models import LocationKind, TransportMode
from ams.shipments.selectors import ShippableLine
from ams.shipments.services import LegInput, LocationData

_DAY = forms.DateInput(attrs={"type": "date"})


class LocationForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=LocationKind.choices, label="What it is")
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    country = forms.CharField(max_length=2, required=False, help_text="Two letters: US, DE, CN…")
    note = forms.CharField(max_length=500, required=False)

    def data_out(self) -> LocationData:
        return LocationData(**self.cleaned_data)


class LegForm(forms.Form):
    origin = forms.CharField(max_length=200, label="From", help_text="Factory, forwarder, port…")
    destination = forms.CharField(max_length=200, label="To")
    mode = forms.ChoiceField(choices=TransportMode.choices)
    carrier = forms.CharField(max_length=200, required=False)
    reference = forms.CharField(
        max_length=100, required=False, label="Tracking or container number"
    )
    planned_departure = forms.DateField(required=False, widget=_DAY, label="Leaves (planned)")
    planned_arrival = forms.DateField(required=False, widget=_DAY, label="Arrives (planned)")

    def leg(self) -> LegInput:
        return LegInput(**self.cleaned_data)


class LegProgressForm(forms.Form):
    departed_on = forms.DateField(required=False, widget=_DAY, label="Left on")
    arrived_on = forms.DateField(required=False, widget=_DAY, label="Arrived on")


class ShipmentForm(forms.Form):
    """A new shipment: where to, and the units of each waiting order line it carries."""

    destination = forms.TypedChoiceField(coerce=int, label="Ships to")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args: Any,
        destinations: list[tuple[int, str]],
        lines: list[ShippableLine],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["destination"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = destinations
        self.lines = lines
        for item in lines:
            self.fields[f"units_{item.line.pk}"] = forms.IntegerField(
                min_value=0, max_value=item.waiting, required=False, initial=0
            )
            self.fields[f"cartons_{item.line.pk}"] = forms.IntegerField(min_value=0, required=False)

    def rows(self) -> list[tuple[ShippableLine, forms.BoundField, forms.BoundField]]:
        return [
            (item, self[f"units_{item.line.pk}"], self[f"cartons_{item.line.pk}"])
            for item in self.lines
        ]

    def quantities(self) -> dict[int, int]:
        return {
            item.line.pk: self.cleaned_data.get(f"units_{item.line.pk}") or 0 for item in self.lines
        }

    def cartons(self) -> dict[int, int]:
        return {
            item.line.pk: self.cleaned_data[f"cartons_{item.line.pk}"]
            for item in self.lines
            if self.cleaned_data.get(f"cartons_{item.line.pk}")
        }


class ReceiveForm(forms.Form):
    """Counting a shipment in: the units that arrived of each line, the shipped units to start."""

    received_on = forms.DateField(widget=_DAY, label="Counted in on")

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"got_{line.pk}"] = forms.IntegerField(min_value=0, initial=line.quantity)

    def rows(self) -> list[tuple[Any, forms.BoundField]]:
        return [(line, self[f"got_{line.pk}"]) for line in self.lines]

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"got_{line.pk}"] for line in self.lines}


class _ProductForm(forms.Form):
    product = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = products


class MoveForm(_ProductForm):
    to_location = forms.TypedChoiceField(coerce=int, label="To")
    quantity = forms.IntegerField(min_value=1, label="Units")
    moved_on = forms.DateField(widget=_DAY, label="On")
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, locations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to_location"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = locations


class SendForm(_ProductForm):
    quantity = forms.IntegerField(min_value=1, label="Units")
    moved_on = forms.DateField(widget=_DAY, label="Left on")
    note = forms.CharField(max_length=500, required=False, help_text="Amazon's shipment id…")


class CountForm(_ProductForm):
    counted = forms.IntegerField(min_value=0, label="Units counted")
    moved_on = forms.DateField(widget=_DAY, label="Counted on")
    note = forms.CharField(max_length=500, required=False)
