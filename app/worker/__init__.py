"""The task worker: a process that runs tasks, talking to the server only over JSON-RPC.

    from app.worker import PermanentError, TaskContext    # to write your own task types

runner.py      ``Worker`` and its ``Options``: register, claim, run, heartbeat, report, and
               wind down on SIGTERM
task_types.py  the task type API (``TaskFn``, ``TaskContext``, ``PermanentError``), the built-in
               types, and loading plugins by ``module:attribute`` or entry point
command.py     the ``rpc-hub worker`` subcommand: flags, plugin loading, the exit status
"""

from app.worker.runner import Options, Worker
from app.worker.task_types import PermanentError, TaskContext, TaskFn

__all__ = ["Options", "PermanentError", "TaskContext", "TaskFn", "Worker"]
