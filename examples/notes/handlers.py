"""notes.*: jot things down, find them by tag, and throw them away."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.rpc.namespace import Example, Method, Namespace
from examples.notes.errors import NotebookFull, NoteNotFound
from examples.notes.models import Note
from examples.notes.store import NoteStore

NoteId = Annotated[str, Field(min_length=1, max_length=20, description="From notes.add.")]
Tag = Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[a-z0-9-]+$")]


async def add(
    notes: NoteStore,
    text: Annotated[str, Field(min_length=1, max_length=1000)],
    tags: Annotated[list[Tag], Field(max_length=10)] = [],  # noqa: B006 (validated, never mutated)
) -> Note:
    """Keep a note, with optional tags."""
    return await notes.add(text, tags)


async def get(notes: NoteStore, note_id: NoteId) -> Note:
    """One note."""
    return await notes.get(note_id)


async def tagged(notes: NoteStore, tag: Tag) -> list[Note]:
    """Every note with a tag, oldest first."""
    return await notes.tagged(tag)


async def delete(notes: NoteStore, note_id: NoteId) -> Note:
    """Forget a note; answer what it said."""
    return await notes.delete(note_id)


_NOTE = {"note_id": "n1", "text": "Buy milk", "tags": ["home"]}

namespace = Namespace(
    "notes",
    [
        Method(
            add,
            errors=[NotebookFull],
            examples=[Example("a tagged note", ["Buy milk", ["home"]], _NOTE)],
        ),
        Method(get, idempotent=True, errors=[NoteNotFound]),
        Method(tagged, idempotent=True),
        Method(delete, errors=[NoteNotFound]),
    ],
)
