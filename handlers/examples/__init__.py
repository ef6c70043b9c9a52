"""Worked examples for the OpenRPC document: one module per namespace, one constant per method.

A handler module imports its namespace's module (``from handlers.examples import cart as
examples``) and passes ``examples=examples.ADD_ITEM`` to each ``Method``.
"""
