"""A seller's world: catalogue, demand, stock, orders and money, deterministic from the seed."""
