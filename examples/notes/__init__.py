"""A plugin namespace with its own state: ``notes.*``, the guide's worked example.

Serve it from the repository's root with
``rpc-hub serve --plugins examples.notes.plugin:plugin``. It has the shape of every
built-in domain, so each file answers one question:

errors.py    what can go wrong, with stable codes
models.py    what its methods take and return
store.py     ``NoteStore``, the Protocol its handlers call
memory.py    ``MemoryNoteStore``, the in-process backend
handlers.py  the ``notes`` namespace: plain typed ``async def``s
plugin.py    the plugin: the namespace, and which backend provides its store
"""
