"""Shared pieces of the cart.* tests: test cards, a catalog file maker, and short calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.cart.memory import MemoryCartStore
from app.cart.payment import Charge, Processor
from app.cart.store import CartStore
from app.plugins import Plugin, Provider
from app.server.builtin import BUILTIN
from app.stores import StoreContext
from tests.helpers.rpc import Client, MakeClient, result

CARD: dict[str, Any] = {
    "card_number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2030,
    "cvc": "123",
}
DECLINED = {**CARD, "card_number": "4000000000000002"}
NO_FUNDS = {**CARD, "card_number": "4000000000009995"}


def card(number: str, **changes: Any) -> dict[str, Any]:
    return {**CARD, "card_number": number, **changes}


def write_catalog(path: Path, stock: dict[str, tuple[str, int]], currency: str = "USD") -> str:
    """A catalog file selling each product id at (price, stock); return its path."""
    products = [
        {
            "product_id": product_id,
            "name": f"{product_id.title()} deluxe",
            "description": f"A fine {product_id}.",
            "price": price,
            "emoji": "📦",
            "stock": units,
        }
        for product_id, (price, units) in stock.items()
    ]
    path.write_text(json.dumps({"currency": currency, "products": products}))
    return str(path)


async def shop_client(
    make_client: MakeClient, tmp_path: Path, stock: dict[str, tuple[str, int]], **overrides: Any
) -> Client:
    """A client for a server selling ``stock`` (product id -> (price, units))."""
    catalog = write_catalog(tmp_path / "catalog.json", stock)
    return await make_client(cart_catalog=catalog, **overrides)


async def new_cart(client: Client, *lines: tuple[str, int]) -> str:
    """A cart holding ``lines`` of (product id, quantity); return its id."""
    cart_id: str = (await result(client, "cart.create"))["cart_id"]
    for product_id, quantity in lines:
        await result(client, "cart.add_item", [cart_id, product_id, quantity])
    return cart_id


async def stock_of(client: Client, product_id: str) -> int:
    stock: int = (await result(client, "cart.get_product", [product_id]))["stock"]
    return stock


async def nothing_bought(client: Client, cart_id: str) -> bool:
    """Whether the cart is still open: no checkout of it made an order (or a charge)."""
    cart = await result(client, "cart.get", [cart_id])
    return cart["status"] == "open" and cart["order_id"] is None


def checkout_params(cart_id: str, key: str, payment: Any = None) -> dict[str, Any]:
    return {"cart_id": cart_id, "payment": payment or CARD, "idempotency_key": key}


def recording(processors: list[Processor]) -> Plugin:
    """The built-in plugin, whose cart stores charge processors the test can read."""

    def cart_store(context: StoreContext) -> MemoryCartStore:
        processor = Processor(context.clock)
        processors.append(processor)
        return MemoryCartStore(context, processor=processor)

    stores = [
        Provider(CartStore, memory=cart_store) if provider.protocol is CartStore else provider
        for provider in BUILTIN.stores
    ]
    return Plugin(BUILTIN.namespaces, stores)


def charges(processors: list[Processor]) -> list[Charge]:
    """Every charge the test's apps made, in order."""
    return [charge for processor in processors for charge in processor.charges.values()]
