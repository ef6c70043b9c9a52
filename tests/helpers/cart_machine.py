"""A model-based test of a cart store: any interleaving of cart, checkout and restock
operations, through the CartStore Protocol only.

A plain reference model says what the shop should hold. After every step the store must
agree with it: stock never goes negative, every unit is on hand or in exactly one order
(``level + sold == initial + restocked``), order totals are exact sums, each key made at
most one order with its own charge, and every refusal is the one the model expects. Some
checkouts run at once, as concurrent calls would. The contract suite runs it per backend.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import event
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

from app.cart.errors import (
    CartClosed,
    CartEmpty,
    CartLimitExceeded,
    IdempotencyKeyReused,
    OutOfStock,
    PaymentDeclined,
)
from app.cart.models import Card, Order, RawPayment
from app.cart.store import CartStore
from app.clock import ManualClock
from app.rpc.access import Principal
from app.rpc.errors import RPCError
from app.stores import Backend, StoreContext
from tests.helpers.backends import opened
from tests.helpers.cart import write_catalog

T = TypeVar("T")

PRODUCTS = {"apple": ("0.35", 4), "brick": ("12.99", 2), "chair": ("49.00", 0)}
"""Little stock, so carts compete for it and checkouts run short."""
MAX_LINES = 2
CARDS = {"4242424242424242": None, "4000000000000002": "card_declined"}
CARDS["4000000000009995"] = "insufficient_funds"
PAYING = ["4242424242424242", *CARDS]
"""Card numbers to pay with: the approved card twice as often as each declined one."""
KEYS = [f"key-{n}" for n in range(6)]
REFUSALS = (IdempotencyKeyReused, CartClosed, CartEmpty, OutOfStock, PaymentDeclined)
SHOPPER = Principal("key:shopper", "shopper", frozenset({"cart"}))
"""The caller of every operation: a key's principal, so each cart is owned and checked."""


def card(number: str) -> Card:
    return RawPayment(
        {"card_number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    ).card()


class CartMachine(RuleBasedStateMachine):
    """Drives one backend of CartStore; build it with the backend and a directory for files."""

    carts = Bundle("carts")

    def __init__(self, backend: Callable[[StoreContext], Backend], tmp: Path) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.exits = AsyncExitStack()
        catalog = write_catalog(tmp / "catalog.json", PRODUCTS)
        store = self.run(
            self.exits.enter_async_context(
                opened(backend, ManualClock(), cart_catalog=catalog, cart_max_lines=MAX_LINES)
            )
        )
        assert isinstance(store, CartStore)
        self.store: CartStore = store
        # The reference model: what the shop should hold, kept by the plainest means.
        self.stock = {pid: units for pid, (_, units) in PRODUCTS.items()}
        self.restocked: Counter[str] = Counter()
        self.lines: dict[str, dict[str, int]] = {}
        self.closed: dict[str, str] = {}
        self.keys: dict[str, tuple[str, Order]] = {}
        """idempotency key -> (cart id, the order it made)."""

    def teardown(self) -> None:
        self.run(self.exits.aclose())
        self.loop.close()

    def run(self, operation: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(operation)

    def expect(self, error: type[RPCError], operation: Coroutine[Any, Any, Any]) -> RPCError:
        with pytest.raises(error) as caught:
            self.run(operation)
        return caught.value

    @initialize(target=carts)
    def first_carts(self) -> MultipleResults[str]:
        return multiple(self._new_cart(), self._new_cart())

    @rule(target=carts)
    def create(self) -> str:
        return self._new_cart()

    def _new_cart(self) -> str:
        cart = self.run(self.store.create_cart(SHOPPER))
        self.lines[cart.cart_id] = {}
        return cart.cart_id

    def _change(
        self, cart_id: str, product_id: str, wanted: int, operation: Coroutine[Any, Any, Any]
    ) -> None:
        lines = self.lines[cart_id]
        if cart_id in self.closed:
            self.expect(CartClosed, operation)
        elif wanted and product_id not in lines and len(lines) >= MAX_LINES:
            self.expect(CartLimitExceeded, operation)
        elif wanted > self.stock[product_id]:
            err = self.expect(OutOfStock, operation)
            [short] = err.data["lines"]
            assert short == {
                "product_id": product_id,
                "requested": wanted,
                "available": self.stock[product_id],
            }
        else:
            self.run(operation)
            if wanted:
                lines[product_id] = wanted
            else:
                lines.pop(product_id, None)
        self._same_cart(cart_id)

    @rule(cart_id=carts, product_id=st.sampled_from(list(PRODUCTS)), quantity=st.integers(1, 3))
    def add(self, cart_id: str, product_id: str, quantity: int) -> None:
        wanted = self.lines[cart_id].get(product_id, 0) + quantity
        operation = self.store.add_item(SHOPPER, cart_id, product_id, quantity)
        self._change(cart_id, product_id, wanted, operation)

    @rule(cart_id=carts, product_id=st.sampled_from(list(PRODUCTS)), quantity=st.integers(0, 3))
    def set(self, cart_id: str, product_id: str, quantity: int) -> None:
        operation = self.store.set_quantity(SHOPPER, cart_id, product_id, quantity)
        self._change(cart_id, product_id, quantity, operation)

    @rule(cart_id=carts, product_id=st.sampled_from(list(PRODUCTS)))
    def remove(self, cart_id: str, product_id: str) -> None:
        self._change(cart_id, product_id, 0, self.store.remove_item(SHOPPER, cart_id, product_id))

    @rule(cart_id=carts, number=st.sampled_from(PAYING), key=st.sampled_from(KEYS))
    def checkout(self, cart_id: str, number: str, key: str) -> None:
        try:
            outcome: Order | BaseException = self.run(
                self.store.checkout(SHOPPER, cart_id, card(number), key)
            )
        except RPCError as refused:
            outcome = refused
        self.check_checkout(cart_id, number, key, outcome)

    @rule(
        attempts=st.lists(
            st.tuples(carts, st.sampled_from(PAYING), st.sampled_from(KEYS)), min_size=2, max_size=6
        )
    )
    def checkout_at_once(self, attempts: list[tuple[str, str, str]]) -> None:
        """Checkouts in flight together: whatever order they commit in, none may oversell,
        pay a cart twice, or make two orders for one key.
        """

        async def together() -> list[Order | BaseException]:
            return await asyncio.gather(
                *(self.store.checkout(SHOPPER, c, card(n), k) for c, n, k in attempts),
                return_exceptions=True,
            )

        outcomes = self.run(together())
        if sum(isinstance(outcome, Order) for outcome in outcomes) > 1:
            event("several checkouts paid at once")
        for (cart_id, number, key), outcome in zip(attempts, outcomes, strict=True):
            if not isinstance(outcome, Order):
                assert isinstance(outcome, REFUSALS), outcome
            elif key in self.keys:
                assert outcome == self.keys[key][1]  # a replay: same order, same single charge
            else:
                # A new order: the invariants then check the stock it took was there.
                assert cart_id not in self.closed and CARDS[number] is None
                lines = self.lines[cart_id]
                assert [(line.product_id, line.quantity) for line in outcome.lines] == list(
                    lines.items()
                )
                for pid, qty in lines.items():
                    self.stock[pid] -= qty
                self.closed[cart_id] = outcome.order_id
                self.keys[key] = (cart_id, outcome)

    def check_checkout(self, cart_id: str, number: str, key: str, outcome: object) -> None:
        """Check one checkout's outcome against the model, and apply it there if it paid."""
        lines = self.lines[cart_id]
        if key in self.keys and self.keys[key][0] != cart_id:
            event("checkout: key reused for another cart")
            assert isinstance(outcome, IdempotencyKeyReused), outcome
        elif key in self.keys:
            event("checkout: replayed")
            assert outcome == self.keys[key][1]  # a replay: same order, same single charge
        elif cart_id in self.closed:
            event("checkout: cart closed")
            assert isinstance(outcome, CartClosed), outcome
        elif not lines:
            event("checkout: empty")
            assert isinstance(outcome, CartEmpty), outcome
        elif any(qty > self.stock[pid] for pid, qty in lines.items()):
            event("checkout: out of stock")
            assert isinstance(outcome, OutOfStock), outcome
            assert outcome.data["lines"] == [
                {"product_id": pid, "requested": qty, "available": self.stock[pid]}
                for pid, qty in lines.items()
                if qty > self.stock[pid]
            ]
        elif CARDS[number] is not None:
            event("checkout: declined")
            assert isinstance(outcome, PaymentDeclined), outcome
            assert outcome.data["decline_code"] == CARDS[number]
        else:
            event("checkout: paid")
            assert isinstance(outcome, Order), outcome
            assert [(line.product_id, line.quantity) for line in outcome.lines] == list(
                lines.items()
            )
            for pid, qty in lines.items():
                self.stock[pid] -= qty
            self.closed[cart_id] = outcome.order_id
            self.keys[key] = (cart_id, outcome)

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
        product = self.run(self.store.restock(product_id, quantity))
        self.stock[product_id] += quantity
        self.restocked[product_id] += quantity
        assert product.stock == self.stock[product_id]

    def _same_cart(self, cart_id: str) -> None:
        cart = self.run(self.store.get_cart(SHOPPER, cart_id))
        assert {line.product_id: line.quantity for line in cart.lines} == self.lines[cart_id]
        assert cart.total == sum((line.subtotal for line in cart.lines), Decimal(0))
        assert cart.item_count == sum(self.lines[cart_id].values())

    @invariant()
    def stock_is_never_negative_and_every_unit_is_accounted_for(self) -> None:
        async def observe() -> tuple[dict[str, int], list[Order]]:
            levels = {pid: (await self.store.get_product(pid)).stock for pid in PRODUCTS}
            orders = [
                await self.store.get_order(SHOPPER, o.order_id) for _, o in self.keys.values()
            ]
            return levels, orders

        levels, orders = self.run(observe())
        sold: Counter[str] = Counter()
        for order in orders:
            for line in order.lines:
                sold[line.product_id] += line.quantity
        for pid, (_, initial) in PRODUCTS.items():
            assert levels[pid] >= 0
            assert levels[pid] == self.stock[pid]
            assert levels[pid] + sold[pid] == initial + self.restocked[pid]

    @invariant()
    def orders_add_up_and_each_was_charged_once(self) -> None:
        async def observe() -> list[Order]:
            return [await self.store.get_order(SHOPPER, o.order_id) for _, o in self.keys.values()]

        orders = self.run(observe())
        assert orders == [order for _, order in self.keys.values()]
        assert len({order.order_id for order in orders}) == len(self.keys)
        assert len({order.payment.charge_id for order in orders}) == len(self.keys)
        for order in orders:
            for line in order.lines:
                assert line.subtotal == line.unit_price * line.quantity
            assert order.total == sum((line.subtotal for line in order.lines), Decimal(0))
            assert order.item_count == sum(line.quantity for line in order.lines)
