"""Carts: who wants what, before checkout, and whom each cart belongs to.

Carts live in memory with limits on every size: each idle cart expires after a time to
live, at most ``max_carts`` exist at once, at most ``max_carts_per_owner`` of them made by
one caller, each holds at most ``max_lines`` products and at most ``MAX_QUANTITY`` of each.
A checked-out cart is still held (``cart.get`` reads it) until it expires, so it counts
against both caps until then. Carts are kept in the order they were last touched, so expired
ones are always at the front and sweeping them costs nothing while none have expired.

Each cart records its owner (see owners.py), and every lookup goes through ``get``, which
answers a caller who may not use the cart exactly as it answers an unknown id.

Each cart is kept as the ``Cart`` model clients see. Changes replace its lines list (whose
lines are frozen) rather than edit it, so a shallow copy is a snapshot.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from datetime import UTC, datetime

from app.cart.errors import CartClosed, CartLimitExceeded, CartNotFound
from app.cart.models import MAX_QUANTITY, Cart, CartLine, CartStatus, Product
from app.cart.money import ZERO
from app.cart.owners import Owner, may_use, owner_of
from app.clock import Clock
from app.ids import RANDOM, Ids
from app.rpc.access import Principal
from app.rpc.errors import Overloaded, QuotaExceeded

CART_ID_BYTES = 16
"""128 random bits per cart id: unguessable, so an anonymous cart's id can be its credential."""


class Carts:
    """Every live cart, by id, with expiry and size limits."""

    def __init__(
        self,
        clock: Clock,
        currency: str,
        *,
        ttl_s: float,
        max_carts: int,
        max_carts_per_owner: int,
        max_lines: int,
        ids: Ids = RANDOM,
    ) -> None:
        self._clock = clock
        self._ids = ids
        self.currency = currency
        self.ttl_s = ttl_s
        self.max_carts = max_carts
        self.max_carts_per_owner = max_carts_per_owner
        self.max_lines = max_lines
        # Each cart, whom it belongs to, and the principal id that made it: the quota's key,
        # which is "anonymous" for an anonymous cart whose owner is None.
        self._carts: dict[str, tuple[Cart, Owner, str]] = {}
        self._held: Counter[str] = Counter()
        # When each cart expires, least recently touched first. Kept as the clock's float,
        # not the cart's datetime, so expiry is exact to the clock.
        self._deadlines: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._carts)

    def create(self, caller: Principal) -> Cart:
        """A new, empty cart of ``caller``'s.

        ``QuotaExceeded`` if ``caller`` holds ``max_carts_per_owner`` live carts (admin too),
        else ``Overloaded`` if ``max_carts`` carts are live.
        """
        now = self._clock.time()
        self._sweep(now)
        held = self._held[caller.id]
        # The caller's own quota first: it is the refusal the caller can do something about.
        if held >= self.max_carts_per_owner:
            raise QuotaExceeded(
                data={"resource": "carts", "limit": self.max_carts_per_owner, "held": held}
            )
        if len(self._carts) >= self.max_carts:
            raise Overloaded(data={"reason": "too many open carts; try again later"})
        cart_id = self._ids.new("cart", CART_ID_BYTES)
        cart = Cart(
            cart_id=cart_id,
            status=CartStatus.OPEN,
            lines=[],
            item_count=0,
            total=ZERO,
            currency=self.currency,
            order_id=None,
            expires_at=self._touch(cart_id, now),
        )
        self._carts[cart_id] = (cart, owner_of(caller), caller.id)
        self._held[caller.id] += 1
        return cart

    def get(self, cart_id: str, caller: Principal) -> Cart:
        """The live cart ``cart_id``, touched so it lives on.

        ``CartNotFound`` if there is none, or if ``caller`` may not use it: the same error
        with the same data, so a cart's existence never leaks to another principal.
        """
        now = self._clock.time()
        deadline = self._deadlines.get(cart_id)
        if deadline is None or now >= deadline:
            if deadline is not None:
                self._drop(cart_id)
            raise CartNotFound(data={"cart_id": cart_id})
        cart, owner, _ = self._carts[cart_id]
        if not may_use(caller, owner):
            # Not touched either: another principal's calls do not keep a cart alive.
            raise CartNotFound(data={"cart_id": cart_id})
        cart.expires_at = self._touch(cart_id, now)
        return cart

    def owner(self, cart: Cart) -> Owner:
        """Whom ``cart`` (as ``get`` gave it) belongs to."""
        return self._carts[cart.cart_id][1]

    def get_open(self, cart_id: str, caller: Principal) -> Cart:
        """The cart ``cart_id`` if it can still change; ``CartClosed`` after its checkout."""
        cart = self.get(cart_id, caller)
        if cart.order_id is not None:
            raise CartClosed(data={"cart_id": cart_id, "order_id": cart.order_id})
        return cart

    def set_line(self, cart: Cart, product: Product, quantity: int) -> None:
        """Make ``cart`` hold ``quantity`` of ``product`` (0 removes it), within the limits."""
        product_id = product.product_id
        if quantity == 0:
            self._set_lines(cart, [line for line in cart.lines if line.product_id != product_id])
            return
        self.check_line(cart, product_id, quantity)
        line = CartLine.of(product, quantity)
        lines = [line if old.product_id == product_id else old for old in cart.lines]
        if quantity_of(cart, product_id) == 0:
            lines.append(line)
        self._set_lines(cart, lines)

    def clear(self, cart: Cart) -> None:
        """Remove every line from ``cart``."""
        self._set_lines(cart, [])

    def close(self, cart: Cart, order_id: str) -> None:
        """``cart`` became the order ``order_id``: it can no longer change."""
        cart.order_id = order_id
        cart.status = CartStatus.CHECKED_OUT

    def check_line(self, cart: Cart, product_id: str, quantity: int) -> None:
        """Raise ``CartLimitExceeded`` unless ``cart`` may hold ``quantity`` of ``product_id``."""
        if quantity > MAX_QUANTITY:
            raise CartLimitExceeded(
                data={"limit": "quantity_per_line", "max": MAX_QUANTITY, "requested": quantity}
            )
        if quantity_of(cart, product_id) == 0 and len(cart.lines) >= self.max_lines:
            raise CartLimitExceeded(
                data={"limit": "lines_per_cart", "max": self.max_lines, "product_id": product_id}
            )

    def _set_lines(self, cart: Cart, lines: list[CartLine]) -> None:
        cart.lines = lines
        cart.item_count = sum(line.quantity for line in lines)
        cart.total = sum((line.subtotal for line in lines), ZERO)

    def _touch(self, cart_id: str, now: float) -> datetime:
        deadline = self._deadlines[cart_id] = now + self.ttl_s
        self._deadlines.move_to_end(cart_id)
        return datetime.fromtimestamp(deadline, UTC)

    def _sweep(self, now: float) -> None:
        while self._deadlines:
            cart_id, deadline = next(iter(self._deadlines.items()))
            if now < deadline:
                return
            self._drop(cart_id)

    def _drop(self, cart_id: str) -> None:
        """Forget an expired cart, and give its maker's quota back."""
        maker = self._carts.pop(cart_id)[2]
        del self._deadlines[cart_id]
        self._held[maker] -= 1
        if not self._held[maker]:
            del self._held[maker]  # no entry per principal that holds nothing


def quantity_of(cart: Cart, product_id: str) -> int:
    """Units of ``product_id`` in ``cart`` (0 when it has no such line)."""
    return next((line.quantity for line in cart.lines if line.product_id == product_id), 0)


def quantities(cart: Cart) -> dict[str, int]:
    """Units per product in ``cart``, in line order."""
    return {line.product_id: line.quantity for line in cart.lines}
