"""What `notes.*` takes and returns."""

from __future__ import annotations

from pydantic import BaseModel


class Note(BaseModel):
    note_id: str
    text: str
    tags: list[str]
