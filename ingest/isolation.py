"""Every file alone: each received file is read in a worker process under a memory and a time limit.

A file's bytes can crash a reader (a Rust allocation that aborts the process), hang it, or make
it eat the machine's memory. Whatever a file does, it does it to one worker: the worker is
replaced, the file gets a finding that says what happened, and the other files go on.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait

from ingest.messages import Message, msg
from zonestat.settings import setting

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """What one file may cost its reader."""

    seconds: float
    memory_mb: int

    @classmethod
    def from_env(cls) -> Limits:
        return cls(float(setting("ZONESTAT_READ_SECONDS")),
                   int(setting("ZONESTAT_READ_MEMORY_MB")))


def _settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("ZONESTAT_")}


def _worker_main(conn, memory_mb: int, task: Callable, settings: dict[str, str]) -> None:
    """A worker: read the items sent to it one by one until told to stop (None).

    `settings` are the parent's ZONESTAT_ variables as they are now (the reading limits): a fork
    server's workers would otherwise see them as they were when the server started."""
    import resource

    for name in [k for k in os.environ if k.startswith("ZONESTAT_") and k not in settings]:
        del os.environ[name]
    os.environ.update(settings)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.environ["RUST_BACKTRACE"] = "0"  # a reader that aborts says one line, not a page of Rust frames
    conn.send(_READY)
    while True:
        try:
            item = conn.recv()
        except EOFError:
            return
        if item is None:
            return
        conn.send(task(item))


_READY = "ready"  # a worker's first message: started and limited, so a file's time starts now


# Items a worker holds at once: the one it reads and the next, already in its pipe, so that it
# never waits for the manager thread (which shares the parent's interpreter lock with the door's
# checks) between two files.
HELD = 2


class _Worker:
    def __init__(self, context, limits: Limits, task: Callable):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, limits.memory_mb, task, _settings()),
                                       daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.held: deque[tuple[int, object]] = deque()  # in the order the worker reads them
        self.started = 0.0  # when it began the first held item

    @property
    def index(self) -> int:
        return self.held[0][0]

    def give(self, index: int, item: object) -> None:
        if not self.held:
            self.started = time.monotonic()
        self.held.append((index, item))
        self.conn.send(item)

    def done(self) -> None:
        """The first held item's result came back: the worker is on the next one from now."""
        self.held.popleft()
        self.started = time.monotonic()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
        self.conn.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


def _death(exitcode: int | None, limits: Limits) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"{name}; the reader may have needed more than {limits.memory_mb} MB" if name == "SIGABRT" else name
    return f"exit code {exitcode}"


def read_all(items: list, task: Callable, failed: Callable[[object, Message], object], name_of: Callable[[object], str],
             workers: int, limits: Limits | None = None, start_method: str = "forkserver") -> list:
    """task(item) for each item, each in a worker process under `limits`, results in input order."""
    return list(read_stream(items, task, failed, name_of, workers, limits, start_method=start_method))


def read_stream(items: list, task: Callable, failed: Callable[[object, Message], object],
                name_of: Callable[[object], str], workers: int, limits: Limits | None = None,
                ahead: int = 800, start_method: str = "forkserver") -> Iterator:
    """task(item) for each item, each in a worker process under `limits`: the results in input order,
    each as soon as it and those before it are done. The workers go on (at most `ahead` results
    beyond what the caller has taken) while the caller works on what it has, which is what lets the
    ingest check one batch at the door while the next one is being read.

    An item whose worker dies or runs out of time gets failed(item, what happened) as its result;
    name_of(item) is the file's name in that message.

    Workers are not forked from the caller: a Dagster run's process has threads that a fork would
    copy mid-work. They are forked from a fork server, a process started once (per caller process)
    without threads, with the task's module imported: a worker, and each one replaced after a file
    killed its predecessor, starts without paying the imports again. A short-lived command without
    threads (`zonestat validate`) may fork itself instead ("fork"), and skip starting the server.
    """
    limits = limits or Limits.from_env()
    if not items:
        return iter(())
    done: queue.Queue = queue.Queue()
    room, stop = threading.Semaphore(ahead), threading.Event()

    def manage() -> None:
        try:
            _manage(items, task, failed, name_of, workers, limits, lambda i, r: done.put((i, r, None)), room, stop,
                    start_method)
        except BaseException as exc:  # handed to the caller, which raises it
            done.put((None, None, exc))

    manager = threading.Thread(target=manage, name="zonestat-readers", daemon=True)
    manager.start()  # now, not at the first next(): the caller's own start-up overlaps the reading

    def in_order() -> Iterator:
        waiting: dict[int, object] = {}
        try:
            for next_index in range(len(items)):
                while next_index not in waiting:
                    index, result, error = done.get()
                    if error is not None:
                        raise error
                    waiting[index] = result
                room.release()
                yield waiting.pop(next_index)
        finally:
            stop.set()
            manager.join()

    return in_order()


def _manage(items: list, task: Callable, failed: Callable, name_of: Callable, workers: int, limits: Limits,
            deliver: Callable[[int, object], None], room: threading.Semaphore, stop: threading.Event,
            start_method: str = "forkserver") -> None:
    """The workers' loop: give items to ready workers while there is room, collect, replace the dead."""
    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        context.set_forkserver_preload([task.__module__])  # read when the server starts, once per process
    pending = deque(enumerate(items))
    pool = [_Worker(context, limits, task) for _ in range(max(1, min(workers, len(items))))]
    try:
        while (pending or any(w.held for w in pool)) and not stop.is_set():
            for _ in range(HELD):
                for worker in [w for w in pool if w.ready and len(w.held) < HELD]:
                    busy_now = any(w.held for w in pool)
                    if not pending or not room.acquire(timeout=0 if busy_now else 0.1):
                        break
                    worker.give(*pending.popleft())
            busy = [w for w in pool if w.held]
            starting = [w for w in pool if not w.ready]
            if not busy and not starting:
                continue  # no room yet: the caller has not taken enough results
            deadline = min((w.started for w in busy), default=time.monotonic()) + limits.seconds
            ready = wait([w.conn for w in busy + starting] + [w.process.sentinel for w in busy + starting],
                         timeout=min(1.0, max(0.0, deadline - time.monotonic())))  # 1 s: a stop is seen soon
            for worker in starting:
                if worker.conn in ready or worker.process.sentinel in ready:
                    try:
                        worker.ready = worker.conn.recv() == _READY
                    except (EOFError, OSError) as exc:  # a worker that cannot even start: nothing can be read
                        raise RuntimeError(f"a reader process failed to start (exit code {worker.process.exitcode})") from exc
            for worker in busy:
                outcome = None
                if worker.conn in ready or worker.process.sentinel in ready:
                    try:
                        while worker.held and worker.conn.poll():  # every result already in the pipe
                            result = worker.conn.recv()
                            index = worker.index
                            worker.done()
                            deliver(index, result)
                        if worker.held and not worker.process.is_alive() and not worker.conn.poll():
                            raise EOFError  # dead with nothing to read: else its sentinel would wake us for ever
                        continue
                    except (EOFError, OSError):
                        worker.process.join()
                        outcome = msg("file.reader_died", file=name_of(items[worker.index]),
                                      how=_death(worker.process.exitcode, limits))
                elif time.monotonic() - worker.started >= limits.seconds:
                    outcome = msg("file.reader_timeout", file=name_of(items[worker.index]),
                                  seconds=f"{limits.seconds:g}")
                if outcome is None:
                    continue
                log.warning("%s", outcome.en)
                pool.remove(worker)
                worker.kill()
                pool.append(_Worker(context, limits, task))
                index, _ = worker.held.popleft()
                for later in reversed(worker.held):  # given to this worker but not begun: to another one
                    pending.appendleft(later)
                    room.release()
                deliver(index, failed(items[index], outcome))
    finally:
        for worker in pool:
            if worker.held:
                worker.kill()
            else:
                worker.stop()
