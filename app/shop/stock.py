"""Stock: units on hand per product, the one place that can take them away.

Its invariant, checked by the tests after every step: a level never goes below zero, and for
each product ``level + sold == initial + restocked``, so no sale is lost or counted twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from app.rpc.errors import Conflict


class OutOfStock(Conflict):
    code = 3004
    message = "Out of stock"


class Stock:
    """Units on hand per product, with running totals of what was sold and restocked."""

    def __init__(self, initial: Mapping[str, int]) -> None:
        self.initial = dict(initial)
        self._levels = dict(initial)
        self.sold: Counter[str] = Counter()
        self.restocked: Counter[str] = Counter()

    def level(self, product_id: str) -> int:
        """Units of ``product_id`` on hand now."""
        return self._levels[product_id]

    def shortages(self, lines: Mapping[str, int]) -> list[dict[str, Any]]:
        """Every line asking for more than is on hand: product, requested and available."""
        return [
            {"product_id": product_id, "requested": quantity, "available": self._levels[product_id]}
            for product_id, quantity in lines.items()
            if quantity > self._levels[product_id]
        ]

    def require(self, lines: Mapping[str, int]) -> None:
        """Raise ``OutOfStock`` listing every short line, unless all ``lines`` are on hand."""
        short = self.shortages(lines)
        if short:
            raise OutOfStock(data={"lines": short})

    def take(self, lines: Mapping[str, int]) -> None:
        """Remove ``lines`` from stock, all or none: raise ``OutOfStock`` if any is short."""
        self.require(lines)
        for product_id, quantity in lines.items():
            self._levels[product_id] -= quantity
            self.sold[product_id] += quantity

    def add(self, product_id: str, quantity: int) -> int:
        """Put ``quantity`` more units of ``product_id`` on hand; return the new level."""
        if quantity <= 0:
            raise ValueError("restock a positive quantity")
        self._levels[product_id] += quantity
        self.restocked[product_id] += quantity
        return self._levels[product_id]
