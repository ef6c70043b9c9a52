"""The shop's metrics (``rpc_cart_…``): paid orders, their revenue, and checkouts refused for
stock. Memory counts them here as checkouts happen; Redis keeps the same counts in a hash
its checkout script increments, read back into a ``Sales``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.cart.models import Order
from app.stores import Sample


@dataclass(slots=True)
class Sales:
    orders: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)
    """Exact totals by currency."""
    out_of_stock: int = 0
    """Checkouts refused because a line was short."""

    def sold(self, order: Order) -> None:
        self.orders += 1
        self.revenue[order.currency] = self.revenue.get(order.currency, Decimal(0)) + order.total

    def samples(self, currency: str, counted: str) -> list[Sample]:
        """The samples, ``currency`` (the shop's) always among the revenues; ``counted``
        says where the counts count."""
        revenue = {currency: Decimal(0), **self.revenue}
        return [
            Sample(
                "rpc_cart_orders_total", self.orders, "counter", help=f"Paid orders; {counted}."
            ),
            *(
                # A float only here, from the exact total: the one rounding, to about 1e-16.
                Sample(
                    "rpc_cart_revenue_total",
                    float(amount),
                    "counter",
                    {"currency": code},
                    help=f"What paid orders came to, in the currency's major unit; {counted}.",
                )
                for code, amount in sorted(revenue.items())
            ),
            Sample(
                "rpc_cart_out_of_stock_total",
                self.out_of_stock,
                "counter",
                help=f"Checkouts refused because a line was short of stock; {counted}.",
            ),
        ]
