"""``MemoryNoteStore``: notes in a dict, for as long as the process lives."""

from __future__ import annotations

import itertools

from app.stores import Backend, StoreContext
from examples.notes.errors import NotebookFull, NoteNotFound
from examples.notes.models import Note

MAX_NOTES = 10_000
"""Every resource a client can create has a cap."""


class MemoryNoteStore(Backend):
    def __init__(self, context: StoreContext) -> None:
        self._notes: dict[str, Note] = {}
        # Sequential ids keep the guide's examples exact; a real store would use random ones.
        self._ids = (f"n{n}" for n in itertools.count(1))

    async def add(self, text: str, tags: list[str]) -> Note:
        if len(self._notes) >= MAX_NOTES:
            raise NotebookFull(data={"limit": MAX_NOTES})
        note = Note(note_id=next(self._ids), text=text, tags=sorted(set(tags)))
        self._notes[note.note_id] = note
        return note

    async def get(self, note_id: str) -> Note:
        try:
            return self._notes[note_id]
        except KeyError:
            raise NoteNotFound(data={"note_id": note_id}) from None

    async def tagged(self, tag: str) -> list[Note]:
        return [note for note in self._notes.values() if tag in note.tags]

    async def delete(self, note_id: str) -> Note:
        note = await self.get(note_id)
        del self._notes[note_id]
        return note
