"""The catalog: what the shop sells, loaded once from a JSON file, searched and paged.

The catalog holds each ``Product`` record. Product facts (name, description, price) do not
change while the server runs; only stock does, and only through ``app.cart.stock``. The
built-in catalog ships inside the package as ``catalog.json``; the ``cart_catalog`` setting
names another file in the same format.
"""

from __future__ import annotations

import base64
import binascii
import difflib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.cart.errors import CatalogError, ProductNotFound, UnknownCursor
from app.cart.models import Product
from app.cart.money import Price

MAX_STOCK = 1_000_000_000
PRODUCT_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_CURSOR_PREFIX = "after:"


class CatalogEntry(BaseModel):
    """One product as written in a catalog file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: Annotated[str, Field(max_length=64, pattern=PRODUCT_ID_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=1000)] = ""
    price: Price
    emoji: Annotated[str, Field(min_length=1, max_length=16)]
    stock: Annotated[int, Field(ge=0, le=MAX_STOCK)]
    """Units on hand when the server starts."""


class CatalogFile(BaseModel):
    """A catalog file: one currency for the whole shop, and its products in display order."""

    model_config = ConfigDict(extra="forbid")

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    products: Annotated[list[CatalogEntry], Field(min_length=1, max_length=10_000)]

    @model_validator(mode="after")
    def _unique_ids(self) -> CatalogFile:
        seen: set[str] = set()
        for entry in self.products:
            if entry.product_id in seen:
                raise ValueError(f"product_id {entry.product_id!r} appears twice")
            seen.add(entry.product_id)
        return self


class Catalog:
    """The products for sale, by id, in display order, each with its stock on hand."""

    def __init__(self, currency: str, entries: list[CatalogEntry]) -> None:
        self.currency = currency
        self._ordered = [Product(currency=currency, **entry.model_dump()) for entry in entries]
        self._products = {product.product_id: product for product in self._ordered}
        self._position = {product_id: i for i, product_id in enumerate(self._products)}
        # Searched often, built once: what a query is matched against, case-folded.
        self._haystacks = [f"{e.name}\n{e.description}".casefold() for e in entries]

    @classmethod
    def load(cls, path: str | None = None) -> Catalog:
        """The catalog in the JSON file at ``path``, or the built-in one when ``path`` is None."""
        if path is None:
            source = "the built-in catalog"
            data = resources.files("app.cart").joinpath("catalog.json").read_bytes()
        else:
            source = path
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise CatalogError(f"cannot read the catalog {path}: {exc.strerror}") from None
        return cls.from_json(data, source)

    @classmethod
    def from_json(cls, data: bytes, source: str = "catalog") -> Catalog:
        """Parse and check a catalog file; raise ``CatalogError`` naming each problem."""
        try:
            parsed = CatalogFile.model_validate_json(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'file'}: {error['msg']}"
                for error in exc.errors(include_url=False)
            )
            raise CatalogError(f"{source} is not a valid catalog: {problems}") from None
        return cls(parsed.currency, parsed.products)

    def __iter__(self) -> Iterator[Product]:
        return iter(self._ordered)

    def __len__(self) -> int:
        return len(self._ordered)

    def get(self, product_id: str) -> Product:
        """The product ``product_id``; raise ``ProductNotFound`` (with near misses) if unknown."""
        product = self._products.get(product_id)
        if product is None:
            data: dict[str, object] = {"product_id": product_id}
            close = difflib.get_close_matches(product_id, self._products, n=3)
            if close:
                data["did_you_mean"] = close
            raise ProductNotFound(data=data)
        return product

    def search(
        self, query: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Product], str | None]:
        """Up to ``limit`` products matching ``query``, after ``cursor``, and the next cursor.

        A product matches when each word of ``query`` is in its name or description, in
        any case. Products keep catalog order, and a cursor names the last product seen rather than
        an offset, so pages stay stable whatever the query.
        """
        start = 0 if cursor is None else self._position[self._decode_cursor(cursor)] + 1
        words = query.casefold().split() if query else []
        found: list[Product] = []
        for index in range(start, len(self._ordered)):
            haystack = self._haystacks[index]
            if all(word in haystack for word in words):
                if len(found) == limit:
                    return found, _encode_cursor(found[-1].product_id)
                found.append(self._ordered[index])
        return found, None

    def _decode_cursor(self, cursor: str) -> str:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        except (UnicodeError, binascii.Error, ValueError):
            text = ""
        product_id = text.removeprefix(_CURSOR_PREFIX)
        if not text.startswith(_CURSOR_PREFIX) or product_id not in self._position:
            raise UnknownCursor(cursor)
        return product_id


def _encode_cursor(product_id: str) -> str:
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + product_id).encode()).decode().rstrip("=")
