"""rpc-hub's server with a profiler the bench switches by signal, so that start-up and
shutdown stay out of the figures: SIGUSR1 starts it, SIGUSR2 stops it and writes its file.

    python -m bench.profiled OUT.prof [serve flags…]

It times CPU (`time.process_time`), not the wall clock, so time the loop spends waiting for
the network is not counted.
"""

from __future__ import annotations

import cProfile
import signal
import sys
import time
from types import FrameType

from app.cli import main


def run(out: str, flags: list[str]) -> int:
    profiler = cProfile.Profile(time.process_time)

    def start(_signal: int, _frame: FrameType | None) -> None:
        profiler.enable()

    def stop(_signal: int, _frame: FrameType | None) -> None:
        profiler.disable()
        profiler.dump_stats(out)

    # Python runs these in the main thread, which is the event loop's: the one profiled.
    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    return main(["serve", *flags])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2:]))
