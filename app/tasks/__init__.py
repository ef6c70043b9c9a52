"""A distributed task queue: leases, retries, dependencies, caching and expiry.

errors.py   codes 5xxx, and TooLarge (which handlers answer as -32602)
models.py   what tasks.* and workers.* take and answer: states, param types, wire models
store.py    TaskStore: the Protocol every backend implements, each operation atomic
memory.py   MemoryTaskStore: the in-memory backend, with long-polls for claim and get
records.py  the Task and Attempt records, named as their wire models read them
state.py    QueueState: the records, and the steps transitions share (time, retries, ends)
queue.py    TaskQueue: every transition, each one atomic (synchronous)
ready.py    which pending task a worker gets next (priority, then FIFO)
leases.py   lease ids, expiry and renewal, fencing
owners.py   who may see and steer a task, and act as a worker (worker tokens)
deps.py     the dependency DAG: unblocking and upstream failures
workers.py  the worker registry and its health
retry.py    exponential backoff with jitter
cache.py    fingerprints and the result cache (one per owner)
timers.py   deadlines on the store clock and the loop that fires them
stats.py    read-only answers: tasks.stats, the pages of tasks.list, workers.list
"""
