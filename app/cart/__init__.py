"""The shop behind ``cart.*``: catalog, stock, carts, payment and orders.

errors.py    the domain errors (codes 3xxx), and the values the shop refuses
models.py    the wire models: products, carts, orders, payment details and cards
store.py     ``CartStore``: the atomic operations the handlers call
memory.py    ``MemoryCartStore``: the in-memory backend
redis.py     ``RedisCartStore``: the shop in Redis, each change one script (lua/)
redis_codec.py  records in Redis, read back as wire models; the scripts' refusals
money.py     exact amounts of whole cents, sent as strings
catalog.py   products, loaded from a JSON file; search and paging
stock.py     units on hand; the only code that takes them away
owners.py    who may use a cart or an order: its owner, admin, or anyone for anonymous ones
carts.py     carts, their ids, owners, limits and expiry
payment.py   the test-mode card processor
orders.py    orders, their owners, and each caller's idempotency keys
sales.py     the metrics: paid orders, revenue, checkouts refused for stock
"""
