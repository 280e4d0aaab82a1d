"""The arithmetic of cost of goods from batches: plain Python over integers, no database.

Money is in cents (integers), so every figure reconciles exactly. A batch of ``quantity`` units
worth ``value`` cents gives its units away in order, and the first ``k`` units taken are worth
``share(value, k, quantity)`` (rounded half up): taking units ``c+1 … c+n`` costs
``share(value, c + n, q) - share(value, c, q)``. Whatever the sizes of the takes, a batch used up
has given exactly its value, never a cent more or less. A unit given back (a return to sellable
stock) goes back to the batch it came from and takes its share back the same way.

Two methods, chosen by the team:

- **first in, first out** (``FifoPool``): a sale takes the oldest batch with units left, then the
  next; a unit no batch holds is uncovered (priced by the seller's dated cost, if any);
- **weighted average** (``AveragePool``): the pool's units and value are one moving total; a sale of
  ``n`` of ``u`` units held takes ``n/u`` of the value (rounded half up), a receipt adds its units
  and value, a return adds back what the item paid for the units returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def share(value: int, part: int, whole: int) -> int:
    """``value * part / whole`` rounded half up, for non-negative integers (``whole`` > 0)."""
    return (2 * value * part + whole) // (2 * whole)


@dataclass
class Lot:
    batch_id: int
    quantity: int
    value: int  # cents
    taken: int = 0  # units taken and not given back

    @property
    def left(self) -> int:
        return self.quantity - self.taken


@dataclass(frozen=True)
class Take:
    """Units of one batch (``batch_id`` None: of the average, or of no batch when not ``covered``)."""

    batch_id: int | None
    units: int
    cost: int | None  # cents; None when not covered
    covered: bool = True


@dataclass
class FifoPool:
    lots: list[Lot] = field(default_factory=list)
    _head: int = 0
    _index: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index = {lot.batch_id: i for i, lot in enumerate(self.lots)}

    def receive(self, lot: Lot) -> None:
        self._index[lot.batch_id] = len(self.lots)
        self.lots.append(lot)

    def take(self, units: int) -> list[Take]:
        takes: list[Take] = []
        lots, i = self.lots, self._head
        while units > 0 and i < len(lots):
            lot = lots[i]
            free = lot.quantity - lot.taken
            if free <= 0:
                i += 1
                continue
            k = free if free < units else units
            before = lot.taken
            lot.taken = before + k
            cost = share(lot.value, before + k, lot.quantity) - share(
                lot.value, before, lot.quantity
            )
            takes.append(Take(lot.batch_id, k, cost))
            units -= k
        while i < len(lots) and lots[i].quantity - lots[i].taken <= 0:
            i += 1
        self._head = i
        if units > 0:
            takes.append(Take(None, units, None, covered=False))
        return takes

    def give_back(self, batch_id: int, units: int) -> int:
        """``units`` back to their batch (at most what it gave); the cents they take back."""
        i = self._index[batch_id]
        lot = self.lots[i]
        units = min(units, lot.taken)
        after = lot.taken - units
        credit = share(lot.value, lot.taken, lot.quantity) - share(lot.value, after, lot.quantity)
        lot.taken = after
        self._head = min(self._head, i)
        return credit


@dataclass
class AveragePool:
    units: int = 0
    value: int = 0  # cents

    def receive(self, lot: Lot) -> None:
        self.units += lot.quantity
        self.value += lot.value

    def take(self, units: int) -> list[Take]:
        takes: list[Take] = []
        k = min(units, max(self.units, 0))
        if k > 0:
            cost = share(self.value, k, self.units)
            self.units -= k
            self.value -= cost
            takes.append(Take(None, k, cost))
        if units > k:
            takes.append(Take(None, units - k, None, covered=False))
        return takes

    def give_back_value(self, units: int, credit: int) -> None:
        self.units += units
        self.value += credit


def returned(taken: list[Take], units: int) -> list[tuple[int | None, int, int]]:
    """Which of an item's covered takes ``units`` returned units go back to: the last ones first,
    as (batch id, units, cents the item paid for them, rounded half up) for the average's credit."""
    out: list[tuple[int | None, int, int]] = []
    for t in reversed(taken):
        if units <= 0:
            break
        if not t.covered or t.units <= 0:
            continue
        k = min(units, t.units)
        paid = share(t.cost or 0, k, t.units) if (t.cost or 0) >= 0 else 0
        out.append((t.batch_id, k, paid))
        units -= k
    return out
