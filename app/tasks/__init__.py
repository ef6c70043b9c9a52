"""A distributed task queue: leases, retries, dependencies, caching and expiry.

errors.py   codes 5xxx, and TooLarge and TooLate (which handlers answer as -32602)
models.py   what tasks.* and workers.* take and answer: states, param types, wire models
store.py    TaskStore: the Protocol every backend implements, each operation atomic
memory.py   MemoryTaskStore: the in-memory backend, with long-polls for claim and get
records.py  the Task and Attempt records, named as their wire models read them
state.py    QueueState: the records, and the steps transitions share (retries, ends)
expiry.py   ExpiringQueue: what passing time does (leases lapse, waits run out, results expire)
roster.py   RosterQueue: the worker transitions (register, heartbeat, deregister)
queue.py    TaskQueue: every task transition, each one atomic (synchronous)
budget.py   the caps and per-principal quotas on stored tasks and their bytes
ready.py    which pending task a worker gets next (priority, then FIFO)
leases.py   lease ids, expiry and renewal, fencing
owners.py   who may see and steer a task, and act as a worker (worker tokens)
deps.py     the dependency DAG: unblocking and upstream failures
workers.py  the worker registry, its caps, and its health
retry.py    exponential backoff with jitter
cache.py    fingerprints and the bounded result cache (one per owner)
timers.py   deadlines on the store clock and the loop that fires them
stats.py    read-only answers: tasks.stats, the pages of tasks.list, workers.list, metrics
census.py   what the metrics read without a scan: tasks by state and queue, what went wrong
metrics.py  the metrics' samples, and which queues get a label
trace_context.py  the trace context a submit records, for the worker's span to link to

redis.py          RedisTaskStore: the same queue in Redis, each operation one script (lua/)
redis_scripts.py  loading the scripts, and each call's arguments
redis_codec.py    the scripts' answers as wire models, their refusals as domain errors
redis_waits.py    long-polls (claim, get) woken across replicas
redis_timers.py   firing deadlines on time when no call comes
"""
