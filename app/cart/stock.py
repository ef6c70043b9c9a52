"""Stock: units on hand per product, the one place that can take them away.

The levels live in the catalog's ``Product`` records; only this module changes them. Its
invariant, checked by the contract suite: a level never goes below zero, and for each
product ``level + sold == initial + restocked``, so no sale is lost or counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.cart.catalog import MAX_STOCK, Catalog
from app.cart.errors import OutOfStock, StockLimitExceeded


class Stock:
    """Units on hand per product of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def level(self, product_id: str) -> int:
        """Units of ``product_id`` on hand now."""
        return self._catalog.get(product_id).stock

    def shortages(self, lines: Mapping[str, int]) -> list[dict[str, Any]]:
        """Every line asking for more than is on hand: product, requested and available."""
        levels = {product_id: self.level(product_id) for product_id in lines}
        return [
            {"product_id": product_id, "requested": quantity, "available": levels[product_id]}
            for product_id, quantity in lines.items()
            if quantity > levels[product_id]
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
            self._catalog.get(product_id).stock -= quantity

    def add(self, product_id: str, quantity: int) -> int:
        """Put ``quantity`` more units of ``product_id`` on hand; return the new level.

        Raise ``StockLimitExceeded`` if that would put more than ``MAX_STOCK`` on hand.
        """
        if quantity <= 0:
            raise ValueError("restock a positive quantity")
        product = self._catalog.get(product_id)
        if product.stock + quantity > MAX_STOCK:
            raise StockLimitExceeded(quantity, MAX_STOCK)
        product.stock += quantity
        return product.stock
