"""cart.list_products and cart.get_product: search, stable paging, and the catalog file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from pydantic import TypeAdapter

from app.cart.catalog import Catalog
from app.cart.errors import CatalogError
from app.server import create_app
from app.settings import Settings
from handlers import cart
from tests.helpers.cart import shop_client, write_catalog
from tests.helpers.rpc import Client, MakeClient, error, result


async def all_pages(client: Client, **params: Any) -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await result(client, "cart.list_products", {**params, "cursor": cursor})
        assert len(page["products"]) <= params.get("limit", 20)
        products.extend(page["products"])
        cursor = page["next_cursor"]
        if cursor is None:
            return products


async def test_the_built_in_catalog_is_a_real_shop(client: Client) -> None:
    products = await all_pages(client, limit=100)
    ids = [p["product_id"] for p in products]
    assert len(ids) >= 20
    assert len(set(ids)) == len(ids)
    assert {"book", "coffee", "keyboard"} <= set(ids)
    for product in products:
        assert set(product) == {
            "product_id",
            "name",
            "description",
            "price",
            "currency",
            "stock",
            "emoji",
        }
        assert isinstance(product["price"], str)
        assert Decimal(product["price"]) > 0
        assert product["currency"] == "USD"


async def test_get_product_gives_price_as_a_two_decimal_string(client: Client) -> None:
    coffee = await result(client, "cart.get_product", ["coffee"])
    assert coffee["price"] == "24.50"
    assert coffee["emoji"] == "☕"
    assert coffee["stock"] == 40
    assert await result(client, "cart.get_product", {"product_id": "book"}) == await result(
        client, "cart.get_product", ["book"]
    )


async def test_unknown_products_are_a_domain_error_with_near_misses(client: Client) -> None:
    err = await error(client, "cart.get_product", ["keybord"])
    assert err == {
        "code": 3001,
        "message": "Product not found",
        "data": {"product_id": "keybord", "did_you_mean": ["keyboard"]},
    }
    err = await error(client, "cart.get_product", ["zzz"])
    assert err["data"] == {"product_id": "zzz"}


@pytest.mark.parametrize("limit", [1, 3, 7, 20, 100])
async def test_pages_cover_the_catalog_once_in_a_stable_order(client: Client, limit: int) -> None:
    everything = await all_pages(client, limit=100)
    assert await all_pages(client, limit=limit) == everything


async def test_query_matches_name_or_description_in_any_case(client: Client) -> None:
    by_name = await all_pages(client, query="KEYBOARD")
    assert [p["product_id"] for p in by_name] == ["keyboard"]
    by_description = await all_pages(client, query="usb-c")
    assert {p["product_id"] for p in by_description} == {"keyboard", "usb-cable"}
    assert await all_pages(client, query="no such thing anywhere") == []


async def test_every_word_of_a_query_must_match(client: Client) -> None:
    assert await all_pages(client, query="  crash PYTHON\tparadigm ") == []
    book = await all_pages(client, query="  crash PYTHON\tproject-based ")
    assert [p["product_id"] for p in book] == ["book"]
    assert len(await all_pages(client, query="   ", limit=100)) == len(
        await all_pages(client, limit=100)
    )


async def test_a_query_pages_like_the_whole_catalog(client: Client) -> None:
    everything = await all_pages(client, limit=100)
    expected = [p for p in everything if "a" in p["name"].casefold() + p["description"].casefold()]
    assert len(expected) > 5
    assert await all_pages(client, query="A", limit=2) == expected


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"query": 5}, "query"),
        ({"query": "x" * 101}, "query"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": ""}, "cursor"),
        ({"cursor": "YWZ0ZXI6bm9wZQ"}, "cursor"),  # a well-formed cursor to no product
    ],
)
async def test_bad_paging_params_are_invalid_params(
    client: Client, params: dict[str, Any], path: str
) -> None:
    err = await error(client, "cart.list_products", params)
    assert err["code"] == -32602
    assert [problem["path"] for problem in err["data"]] == [path]


async def test_catalog_from_a_file_named_by_a_setting(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = await shop_client(
        make_client, tmp_path, {"anvil": ("120.00", 2), "rocket": ("0.99", 0)}
    )
    page = await result(client, "cart.list_products")
    assert [(p["product_id"], p["price"], p["stock"]) for p in page["products"]] == [
        ("anvil", "120.00", 2),
        ("rocket", "0.99", 0),
    ]
    assert (await error(client, "cart.get_product", ["book"]))["code"] == 3001


@pytest.mark.parametrize(
    ("products", "problem"),
    [
        ([{"product_id": "a", "name": "A", "price": 9.99, "emoji": "x", "stock": 1}], "strings"),
        ([{"product_id": "a", "name": "A", "price": "9.999", "emoji": "x", "stock": 1}], "strings"),
        (
            [{"product_id": "a", "name": "A", "price": "0.00", "emoji": "x", "stock": 1}],
            "more than",
        ),
        ([{"product_id": "a", "name": "A", "price": "1.00", "emoji": "x", "stock": -1}], "stock"),
        (
            [{"product_id": "A b", "name": "A", "price": "1.00", "emoji": "x", "stock": 1}],
            "pattern",
        ),
        ([], "at least 1"),
        (
            [{"product_id": "a", "name": "A", "price": "1.00", "emoji": "x", "stock": 1}] * 2,
            "appears twice",
        ),
    ],
)
def test_a_bad_catalog_file_stops_the_server_with_the_reason(
    tmp_path: Path, products: list[Any], problem: str
) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"currency": "USD", "products": products}))
    with pytest.raises(CatalogError, match=problem):
        create_app(Settings(cart_catalog=str(path)))


def test_a_missing_catalog_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"cannot read the catalog .*nope\.json"):
        Catalog.load(str(tmp_path / "nope.json"))


def test_the_catalog_file_format_round_trips(tmp_path: Path) -> None:
    path = write_catalog(tmp_path / "c.json", {"a": ("1.50", 3)}, currency="EUR")
    catalog = Catalog.load(path)
    assert catalog.currency == "EUR"
    [entry] = list(catalog)
    assert (entry.product_id, entry.price, entry.stock) == ("a", Decimal("1.50"), 3)


async def test_examples_in_openrpc_are_true(client: Client) -> None:
    """Examples with no random ids must be exactly what the server says; all must type-check."""
    for method in cart.namespace.declared():
        result_type = get_type_hints(method.func, include_extras=True)["return"]
        adapter: TypeAdapter[Any] = TypeAdapter(result_type)
        for example in method.examples:
            adapter.validate_python(example.result)
    for name in ("cart.get_product", "cart.list_products"):
        [declared] = [m for m in cart.namespace.declared() if f"cart.{m.func.__name__}" == name]
        [example] = declared.examples
        assert await result(client, name, example.params) == example.result
