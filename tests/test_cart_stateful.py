"""The shop's invariants under any interleaving of cart, checkout and restock operations.

Hypothesis drives the store directly (the unit that owns the invariants) against a plain
reference model, and checks after every step that stock never goes negative, that no sale
is lost or doubled, that order totals are exact sums, and that no key is charged twice.
Each operation is also run by hand with ``send(None)``: one that suspended would not be
atomic, and fails the test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from app.clock import ManualClock
from app.rpc.errors import RPCError
from app.shop.carts import CartClosed, CartEmpty, CartLimitExceeded
from app.shop.catalog import Catalog, CatalogEntry
from app.shop.orders import IdempotencyKeyReused
from app.shop.payment import PaymentDeclined, RawPayment
from app.shop.shop import Shop
from app.shop.stock import OutOfStock

T = TypeVar("T")

PRODUCTS = {"apple": ("0.35", 4), "brick": ("12.99", 2), "chair": ("49.00", 0)}
"""Little stock, so carts compete for it and checkouts run short."""
CARDS = {"4242424242424242": None, "4000000000000002": "card_declined"}
CARDS["4000000000009995"] = "insufficient_funds"
PAYING = ["4242424242424242", *CARDS]
"""Card numbers to pay with: the approved card twice as often as each declined one."""
KEYS = [f"key-{n}" for n in range(6)]


def atomically(operation: Coroutine[Any, Any, T]) -> T:
    """Run a store operation that must finish without ever suspending."""
    try:
        operation.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    operation.close()
    raise AssertionError("a store operation suspended: check and act could interleave")


def expect(error: type[RPCError], operation: Coroutine[Any, Any, Any]) -> RPCError:
    with pytest.raises(error) as caught:
        atomically(operation)
    return caught.value


class ShopMachine(RuleBasedStateMachine):
    carts = Bundle("carts")

    def __init__(self) -> None:
        super().__init__()
        entries = [
            CatalogEntry(product_id=pid, name=pid, price=price, emoji="📦", stock=units)
            for pid, (price, units) in PRODUCTS.items()
        ]
        self.shop = Shop(Catalog("USD", entries), ManualClock(), max_lines=2)
        # The reference model: what the shop should hold, kept by the plainest means.
        self.stock = {pid: units for pid, (_, units) in PRODUCTS.items()}
        self.restocked: Counter[str] = Counter()
        self.sold: Counter[str] = Counter()
        self.lines: dict[str, dict[str, int]] = {}
        self.closed: dict[str, str] = {}
        self.keys: dict[str, tuple[str, str]] = {}
        """idempotency key -> (cart id, order id) of the order it made."""

    @initialize(target=carts)
    def first_carts(self) -> MultipleResults[str]:
        return multiple(self._new_cart(), self._new_cart())

    @rule(target=carts)
    def create(self) -> str:
        return self._new_cart()

    def _new_cart(self) -> str:
        cart = atomically(self.shop.create_cart())
        self.lines[cart.cart_id] = {}
        return cart.cart_id

    def _change(self, cart_id: str, product_id: str, wanted: int, operation: Coroutine) -> None:  # type: ignore[type-arg]
        lines = self.lines[cart_id]
        if cart_id in self.closed:
            expect(CartClosed, operation)
        elif wanted and product_id not in lines and len(lines) >= 2:
            expect(CartLimitExceeded, operation)
        elif wanted > self.stock[product_id]:
            err = expect(OutOfStock, operation)
            [short] = err.data["lines"]
            assert short == {
                "product_id": product_id,
                "requested": wanted,
                "available": self.stock[product_id],
            }
        else:
            atomically(operation)
            if wanted:
                lines[product_id] = wanted
            else:
                lines.pop(product_id, None)
        self._same_cart(cart_id)

    @rule(cart_id=carts, product_id=st.sampled_from(list(PRODUCTS)), quantity=st.integers(1, 3))
    def add(self, cart_id: str, product_id: str, quantity: int) -> None:
        wanted = self.lines[cart_id].get(product_id, 0) + quantity
        operation = self.shop.add_item(cart_id, product_id, quantity)
        self._change(cart_id, product_id, wanted, operation)

    @rule(cart_id=carts, product_id=st.sampled_from(list(PRODUCTS)), quantity=st.integers(0, 3))
    def set(self, cart_id: str, product_id: str, quantity: int) -> None:
        operation = self.shop.set_quantity(cart_id, product_id, quantity)
        self._change(cart_id, product_id, quantity, operation)

    @rule(cart_id=carts, product_id=st.sampled_from(list(PRODUCTS)))
    def remove(self, cart_id: str, product_id: str) -> None:
        self._change(cart_id, product_id, 0, self.shop.remove_item(cart_id, product_id))

    @rule(cart_id=carts, number=st.sampled_from(PAYING), key=st.sampled_from(KEYS))
    def checkout(self, cart_id: str, number: str, key: str) -> None:
        card = RawPayment(
            {"card_number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
        ).card()
        operation = self.shop.checkout(cart_id, card, key)
        lines = self.lines[cart_id]
        charges_before = len(self.shop.processor.charges)
        if key in self.keys and self.keys[key][0] != cart_id:
            event("checkout: key reused for another cart")
            expect(IdempotencyKeyReused, operation)
        elif key in self.keys:
            event("checkout: replayed")
            order = atomically(operation)
            assert order.order_id == self.keys[key][1]  # a replay: same order, no charge
        elif cart_id in self.closed:
            event("checkout: cart closed")
            expect(CartClosed, operation)
        elif not lines:
            event("checkout: empty")
            expect(CartEmpty, operation)
        elif any(qty > self.stock[pid] for pid, qty in lines.items()):
            event("checkout: out of stock")
            err = expect(OutOfStock, operation)
            assert err.data["lines"] == [
                {"product_id": pid, "requested": qty, "available": self.stock[pid]}
                for pid, qty in lines.items()
                if qty > self.stock[pid]
            ]
        elif CARDS[number] is not None:
            event("checkout: declined")
            err = expect(PaymentDeclined, operation)
            assert err.data["decline_code"] == CARDS[number]
        else:
            event("checkout: paid")
            order = atomically(operation)
            assert [(line.product_id, line.quantity) for line in order.lines] == list(lines.items())
            for pid, qty in lines.items():
                self.stock[pid] -= qty
                self.sold[pid] += qty
            self.closed[cart_id] = order.order_id
            self.keys[key] = (cart_id, order.order_id)
            assert len(self.shop.processor.charges) == charges_before + 1
            return
        assert len(self.shop.processor.charges) == charges_before

    @rule(product_id=st.sampled_from(list(PRODUCTS)))
    def rival_buys_every_unit(self, product_id: str) -> None:
        """Another shopper empties the shelf, so carts holding the product run short."""
        if self.stock[product_id] == 0:
            return
        cart_id = self._new_cart()
        self.add(cart_id, product_id, self.stock[product_id])
        self.checkout(cart_id, PAYING[0], f"rival-{len(self.keys)}")
        assert self.stock[product_id] == 0

    @rule(product_id=st.sampled_from(list(PRODUCTS)), quantity=st.integers(1, 3))
    def restock(self, product_id: str, quantity: int) -> None:
        product = atomically(self.shop.restock(product_id, quantity))
        self.stock[product_id] += quantity
        self.restocked[product_id] += quantity
        assert product.stock == self.stock[product_id]

    def _same_cart(self, cart_id: str) -> None:
        cart = atomically(self.shop.get_cart(cart_id))
        assert {line.product_id: line.quantity for line in cart.lines} == self.lines[cart_id]
        assert cart.total == sum((line.subtotal for line in cart.lines), Decimal(0))

    @invariant()
    def stock_is_never_negative_and_every_unit_is_accounted_for(self) -> None:
        for pid, (_, initial) in PRODUCTS.items():
            level = self.shop.stock.level(pid)
            assert level >= 0
            assert level == self.stock[pid]
            assert level + self.shop.stock.sold[pid] == initial + self.shop.stock.restocked[pid]
            assert self.shop.stock.sold[pid] == self.sold[pid]
            assert self.shop.stock.restocked[pid] == self.restocked[pid]

    @invariant()
    def orders_add_up_and_each_was_charged_exactly_once(self) -> None:
        orders = list(self.shop.orders)
        charges = self.shop.processor.charges
        assert len(orders) == len(charges) == len(self.keys)
        assert len({charge.idempotency_key for charge in charges.values()}) == len(charges)
        sold: Counter[str] = Counter()
        for order in orders:
            for line in order.lines:
                assert line.subtotal == line.unit_price * line.quantity
                sold[line.product_id] += line.quantity
            assert order.total == sum((line.subtotal for line in order.lines), Decimal(0))
            charge = charges[order.payment.charge_id]
            assert (charge.amount, charge.currency) == (order.total, order.currency)
        assert sold == self.shop.stock.sold


ShopMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_shop_invariants = ShopMachine.TestCase
