"""The notes plugin's errors; codes 9xxx, outside every built-in range."""

from __future__ import annotations

from app.rpc.errors import Conflict, NotFound


class NoteNotFound(NotFound):
    code = 9001
    message = "Note not found"


class NotebookFull(Conflict):
    code = 9002
    message = "Notebook full"
