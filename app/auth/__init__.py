"""API keys: who a caller is, kept in a file of hashed entries.

keys.py      the key format (``rpch_<id>_<secret>``), its checksum and digest
keyfile.py   the keys file: one JSON entry per key, hashed; load, append, revoke
command.py   ``rpc-hub keys new|list|revoke``
"""
