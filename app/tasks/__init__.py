"""A distributed task queue: leases, retries, dependencies, caching and expiry.

model.py    states, priorities, the Task and Attempt records
state.py    QueueState: the records, and the steps transitions share (time, retries, ends)
queue.py    TaskQueue: every transition, each one atomic (synchronous)
ready.py    which pending task a worker gets next (priority, then FIFO)
leases.py   lease ids, expiry and renewal, fencing
deps.py     the dependency DAG: unblocking and upstream failures
workers.py  the worker registry and its health
retry.py    exponential backoff with jitter
cache.py    fingerprints and the result cache
timers.py   deadlines on the store clock and the loop that fires them
store.py    TaskStore: the async face, with long-polls for claim and get
views.py    what the methods answer
stats.py    tasks.stats
errors.py   codes 5xxx
"""
