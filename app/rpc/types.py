"""Parameter and result types with JSON-exact semantics, shared by handlers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
"""The integers that cross the wire exactly (what orjson reads and writes without loss)."""


class _FiniteNumber:
    """A JSON number: an exact integer or a finite float; never a bool or a numeric string."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.union_schema(
            [
                core_schema.int_schema(strict=True),
                core_schema.float_schema(strict=True, allow_inf_nan=False),
            ],
            custom_error_type="number_type",
            custom_error_message="Input should be a finite number",
        )


Number = Annotated[int | float, _FiniteNumber]
"""An integer (kept exact) or a finite float."""
