"""The OpenRPC document is valid against the official meta-schema (vendored in tests/fixtures),
for the namespaces we serve and for the kinds of types handlers are likely to use.
"""

from __future__ import annotations

import copy
import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from app.plugins import Plugin
from app.rpc.errors import Conflict, NotFound
from app.rpc.namespace import Example, Method, Namespace
from app.server import build_api
from app.server.builtin import BUILTIN
from app.settings import Settings
from handlers import API_VERSION
from tests.helpers.openrpc_schemas import meta_errors, meta_validator
from tests.helpers.probe import Probe
from tests.helpers.rpc import MakeClient, result


class Colour(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class Point(BaseModel):
    x: int
    y: int = 0


class Circle(BaseModel):
    kind: Literal["circle"] = "circle"
    centre: Point
    radius: Annotated[float, Field(gt=0, description="In metres.")]


class Square(BaseModel):
    kind: Literal["square"] = "square"
    corner: Point
    side: float


class Drawing(BaseModel):
    """A drawing: shapes that share the Point component."""

    shapes: list[Annotated[Circle | Square, Field(discriminator="kind")]]
    colour: Colour = Colour.RED
    created: datetime
    price: Decimal | None = None
    tags: dict[str, str] = {}


class NoSuchDrawing(NotFound):
    code = 9101
    message = "No such drawing"


class DrawingExists(Conflict):
    code = 9102
    message = "Drawing exists"


async def draw(
    name: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z]+$")],
    shapes: list[Circle | Square],
    colour: Colour = Colour.RED,
    when: datetime | None = None,
    *,
    mode: Literal["fast", "exact"] = "exact",
) -> Drawing:
    """Make a drawing.

    Covers models, nested and shared components, enums, literals, defaults, optional values,
    constraints and keyword-only parameters.
    """
    raise NotImplementedError


async def find(name: str) -> Drawing | None:
    """Find a drawing by name."""
    raise NotImplementedError


SHAPES = Namespace(
    "shapes",
    [
        Method(
            draw,
            errors=[DrawingExists],
            examples=[
                Example(
                    "a circle",
                    {"name": "sun", "shapes": [{"centre": {"x": 0, "y": 0}, "radius": 1.5}]},
                    {
                        "shapes": [{"kind": "circle", "centre": {"x": 0, "y": 0}, "radius": 1.5}],
                        "colour": "red",
                        "created": "2024-01-01T00:00:00Z",
                        "price": None,
                        "tags": {},
                    },
                    summary="one shape",
                )
            ],
        ),
        Method(
            find,
            errors=[NoSuchDrawing],
            deprecated=True,
            idempotent=True,
            examples=[Example("none", ["moon"], None)],
        ),
    ],
)


def test_served_document_is_valid() -> None:
    _, document = build_api(Settings())
    assert meta_errors(document) == []


def test_varied_types_give_a_valid_document() -> None:
    _, document = build_api(Settings(), (BUILTIN, Plugin([SHAPES, Probe().namespace])))
    assert meta_errors(document) == []
    methods = {method["name"]: method for method in document["methods"]}
    assert "Point" in document["components"]["schemas"]
    assert methods["shapes.find"]["deprecated"] is True
    assert methods["shapes.draw"]["errors"] == [{"code": 9102, "message": "Drawing exists"}]


def test_info_version_is_the_api_version() -> None:
    _, document = build_api(Settings())
    assert document["info"]["version"] == API_VERSION


async def test_rpc_discover_and_the_route_serve_the_same_valid_document(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    discovered = await result(client, "rpc.discover")
    response = await client.get("/openrpc.json")
    assert response.status == 200
    assert await response.json() == discovered
    assert meta_errors(discovered) == []


BROKEN = [
    ("relative server url", lambda d: d["servers"][0].update(url="/rpc")),
    ("unknown paramStructure", lambda d: d["methods"][0].update(paramStructure="by-magic")),
    ("bad embedded schema", lambda d: d["methods"][0]["params"][0]["schema"].update(minLength=-1)),
    ("unknown method field", lambda d: d["methods"][0].update(idempotent=True)),
    ("example without params", lambda d: d["methods"][0]["examples"][0].pop("params")),
    ("error code not an integer", lambda d: d["methods"][0]["errors"][0].update(code="1002")),
    ("bad regex pattern", lambda d: d["methods"][0]["params"][0]["schema"].update(pattern="(")),
]


@pytest.mark.parametrize(("why", "breaks"), BROKEN, ids=[why for why, _ in BROKEN])
def test_the_validator_catches_what_the_meta_schema_forbids(why: str, breaks: Any) -> None:
    """The check is live: the vendored schemas load, and formats are asserted, not ignored."""
    _, document = build_api(Settings())
    broken = copy.deepcopy(document)
    breaks(broken)
    assert meta_errors(broken), why
    assert meta_validator().is_valid(document)
