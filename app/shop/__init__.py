"""The shop behind ``cart.*``: catalog, stock, carts, payment and orders.

money.py     exact amounts of whole cents, sent as strings
catalog.py   products, loaded from a JSON file; search and paging
stock.py     units on hand; the only code that takes them away
carts.py     carts, their ids, limits and expiry
payment.py   the test-mode card processor
orders.py    orders and idempotency keys
shop.py      ``Shop``: the atomic operations the handlers call
"""

from __future__ import annotations

from app.shop.shop import Shop

__all__ = ["Shop"]
