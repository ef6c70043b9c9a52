"""The plugin: the notes namespace, and the backend that provides its store.

This is the one module of the plugin that names a backend, as app/server/builtin.py is for
the built-in namespaces.
"""

from __future__ import annotations

from app.plugins import Plugin, Provider
from examples.notes.handlers import namespace
from examples.notes.memory import MemoryNoteStore
from examples.notes.store import NoteStore

plugin = Plugin([namespace], stores=[Provider(NoteStore, memory=MemoryNoteStore)])
