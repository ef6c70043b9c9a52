"""The store Protocol the notes handlers call; each operation is atomic."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from examples.notes.models import Note


@runtime_checkable
class NoteStore(Protocol):
    async def add(self, text: str, tags: list[str]) -> Note:
        """Keep a new note; raise ``NotebookFull`` at the cap."""
        ...

    async def get(self, note_id: str) -> Note:
        """The note ``note_id``; raise ``NoteNotFound``."""
        ...

    async def tagged(self, tag: str) -> list[Note]:
        """Every note with ``tag``, oldest first."""
        ...

    async def delete(self, note_id: str) -> Note:
        """Forget a note and answer what it was; raise ``NoteNotFound``."""
        ...
