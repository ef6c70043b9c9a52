"""The chat domain's store: rooms, their members' presence and send rates behind ``chat.*``.

Messages are not kept here: handlers publish them on the EventStore topic ``chat:<room>``.

errors.py       codes 6xxx: not a member, name taken, room full, sending too fast
models.py       room and member names, the public Member and ChatEvent, what the store answers
topics.py       what a room publishes on its topic: messages, joins and leaves
store.py        ChatStore: the Protocol handlers call, each operation atomic
memory.py       MemoryChatStore: the in-process backend, built from a StoreContext
redis.py        RedisChatStore: rooms in Redis, each operation one script (lua/)
presence.py     one room: its seats, the names they hold, and when each one expires (sync)
names.py        what a room name may be (member names are app.names display names)
rate.py         each member's send rate: a GCRA of 5 messages at once, then 1 a second
"""
