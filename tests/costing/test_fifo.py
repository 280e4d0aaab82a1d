"""The arithmetic of cost batches (ams.costing.fifo), without a database: every take of a batch
adds up to its value to the cent, oldest first, returns go back to their batch, and the average
pool prices each sale at the pool's value per unit."""

from __future__ import annotations

from ams.costing.fifo import AveragePool, FifoPool, Lot, Take, returned, share


def test_share_rounds_half_up():
    assert share(2808, 3, 10) == 842  # 842.4
    assert share(1000, 1, 8) == 125
    assert share(5, 1, 2) == 3  # 2.5 -> 3
    assert share(7, 1, 2) == 4  # 3.5 -> 4
    assert share(0, 3, 7) == 0
    assert share(2170, 7, 7) == 2170


def test_a_batch_used_up_gives_exactly_its_value_whatever_the_takes():
    pool = FifoPool([Lot(1, 7, 1000)])
    costs = [t.cost or 0 for n in (1, 2, 1, 3) for t in pool.take(n)]
    # 142.86, 428.57, 571.43, 1000 for the first 1, 3, 4 and 7 units.
    assert costs == [143, 286, 142, 429]
    assert sum(costs) == 1000


def test_sales_take_the_oldest_batch_first_then_the_next_then_nothing():
    pool = FifoPool([Lot(1, 2, 200), Lot(2, 3, 900)])
    assert pool.take(3) == [Take(1, 2, 200), Take(2, 1, 300)]
    assert pool.take(4) == [Take(2, 2, 600), Take(None, 2, None, covered=False)]
    assert pool.take(1) == [Take(None, 1, None, covered=False)]


def test_a_new_receipt_serves_the_sales_after_it():
    pool = FifoPool()
    assert pool.take(1) == [Take(None, 1, None, covered=False)]
    pool.receive(Lot(5, 4, 1000))
    assert pool.take(1) == [Take(5, 1, 250)]


def test_a_return_goes_back_to_its_batch_and_is_taken_again_first():
    pool = FifoPool([Lot(1, 10, 2808), Lot(2, 7, 2170)])
    pool.take(8)
    assert pool.take(4) == [Take(1, 2, 562), Take(2, 2, 620)]
    assert pool.give_back(1, 2) == 562
    assert pool.take(3) == [Take(1, 2, 562), Take(2, 1, 310)]
    # Never more back than the batch gave.
    assert pool.give_back(2, 99) == 930
    assert pool.lots[1].taken == 0


def test_a_return_undoes_the_items_last_takes_first():
    takes = [Take(1, 2, 562), Take(2, 2, 620), Take(None, 1, None, covered=False)]
    assert returned(takes, 3) == [(2, 2, 620), (1, 1, 281)]
    assert returned(takes, 0) == []
    assert returned([Take(None, 4, None, covered=False)], 2) == []


def test_the_average_pool_prices_each_sale_at_its_value_per_unit():
    pool = AveragePool()
    pool.receive(Lot(1, 10, 2808))
    assert pool.take(3) == [Take(None, 3, 842)]
    pool.receive(Lot(2, 7, 2170))
    # 14 units worth 4136: 4 of them 1181.71 -> 1182.
    assert pool.take(4) == [Take(None, 4, 1182)]
    pool.give_back_value(1, 295)
    assert (pool.units, pool.value) == (11, 3249)
    assert pool.take(12) == [Take(None, 11, 3249), Take(None, 1, None, covered=False)]
    assert (pool.units, pool.value) == (0, 0)
