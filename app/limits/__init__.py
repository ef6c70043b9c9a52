"""Rate limits: how many calls each caller may make, shared by every transport.

- ``models.py``: ``Charge``, what a charge of a request's calls came to.
- ``store.py``: ``RateLimitStore``, the Protocol the engine charges calls to.
- ``gcra.py``: the pure core, GCRA over a bounded table of callers.
- ``memory.py``: the in-process backend.
- ``redis.py``: the backend on Redis, one allowance per caller for every replica, charged by
  ``lua/charge.lua``.
"""
