"""dbt imported once per process, each of its dbt commands a fork of that.

A dbt command spends two to three seconds importing dbt and its adapter before it reads the
project, and a refresh runs two. The dbt server is a child process that imports them once, early
(`zonestat refresh` starts it before it loads Dagster, as it starts the door's process; a run the
daemon launches starts it in its landing step), and then waits. Each `zonestat-dbt` that the
server's parent starts hands it its arguments, environment, working folder and standard streams;
a fork of the server runs dbt with them, and `zonestat-dbt` exits with its exit code. Without a
server (`zonestat docs`, a test's own dbt command) `zonestat-dbt` runs dbt itself, as before.

Found by name, without a file or a variable: an abstract Unix socket named after the process that
started the server, which is also the parent of every `zonestat-dbt` it runs.

Nothing outlives the refresh: the server dies with its parent, a dbt fork with the server, and a
dbt fork also when its `zonestat-dbt` ends (killed with the refresh, as orchestration/child_process.py
has it), which it learns as their connection closes. Interrupting `zonestat-dbt` interrupts its fork.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback

from orchestration.child_process import LINUX, die_with_parent

_shared: subprocess.Popen | None = None
_starting = threading.Lock()


def address(parent: int) -> bytes:
    """The server of the process `parent`: an abstract socket (no file to clean up), per user."""
    return f"\0zonestat-dbt-{os.getuid()}-{parent}".encode()


def start_dbt_server() -> None:
    """Start this process's dbt server unless it runs already; it ends with this process."""
    global _shared
    if not LINUX:
        return
    with _starting:
        if _shared is not None and _shared.poll() is None:
            return
        _shared = subprocess.Popen([sys.executable, "-m", "orchestration.dbt_server"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        atexit.register(_stop, _shared)


# How long an ending process waits for its server to go after asking it to (it goes at once),
# before it kills it: an exit never waits for ever.
STOP_SECONDS = 10


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run_in_server(args: list[str]) -> int | None:
    """`dbt <args>` in a fork of the parent's dbt server, with this process's environment, folder
    and standard streams; its exit code, or None when there is no server to run it."""
    if not LINUX:
        return None
    channel = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        channel.connect(address(os.getppid()))
    except OSError:
        return None
    _, uid, _ = struct.unpack("3i", channel.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    if uid != os.getuid():  # an abstract name any user could have taken: it gets no environment
        return None
    request = {"args": args, "env": dict(os.environ), "cwd": os.getcwd()}
    try:
        socket.send_fds(channel, [json.dumps(request).encode()], [0, 1, 2])
        started = channel.recv(4096)
    except OSError:
        started = b""
    if not started:  # the server ended before it forked: nothing has run
        return None
    worker = json.loads(started)["pid"]
    for forwarded in (signal.SIGINT, signal.SIGTERM):  # dagster-dbt interrupts this process to stop dbt
        signal.signal(forwarded, lambda number, _frame: _signal(worker, number))
    ended = channel.recv(4096)
    if not ended:
        print(f"zonestat-dbt: dbt (process {worker}) ended without an exit code: killed", file=sys.stderr)
        return 1
    # The fork's exit closes the connection: this command ends after dbt's, whose files (the work
    # database) are let go by then, as they were when this command was dbt itself.
    channel.settimeout(60)
    with contextlib.suppress(OSError):
        channel.recv(1)
    return json.loads(ended)["exit"]


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _serve() -> None:
    # Ends when its parent asks (_stop), whatever it inherited: a script's background job ignores
    # SIGINT, and after a Dagster run in that process SIGTERM is ignored too (Dagster gives SIGTERM
    # SIGINT's handler), which a child keeps. Such a server outlived its parent's exit, which waited.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the dbt forks, not the server
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        listener.bind(address(os.getppid()))
    except OSError:  # this parent has a server already
        return
    listener.listen(8)  # bound before the imports: a dbt command started meanwhile waits for them
    import dbt.cli.main  # noqa: F401 - what this process is for
    for adapter in ("dbt.adapters.duckdb.impl", "dbt.adapters.postgres.impl"):
        with contextlib.suppress(ImportError):  # dbt-postgres is the optional extra zonestat[postgres]
            __import__(adapter)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the forks are reaped by the kernel
    while True:
        connection, _ = listener.accept()
        try:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
            request = json.loads(message)
        except (OSError, ValueError):
            connection.close()
            continue
        if os.fork() == 0:
            listener.close()
            _run_dbt(connection, request, fds)
        connection.close()
        for fd in fds:
            os.close(fd)


def _run_dbt(connection: socket.socket, request: dict, fds: list[int]) -> None:
    """In a fork of the server: dbt as `zonestat-dbt` asked for it; exits with dbt's exit code."""
    die_with_parent()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for standard, fd in zip((0, 1, 2), fds):
        os.dup2(fd, standard)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    connection.send(json.dumps({"pid": os.getpid()}).encode())
    finished = threading.Event()

    def watch() -> None:  # the zonestat-dbt that asked has ended, killed: so does this dbt
        with contextlib.suppress(OSError):
            connection.recv(1)
        if not finished.is_set():
            os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()
    sys.argv = ["dbt", *request["args"]]
    code = 1
    try:
        from dbt.cli.main import cli

        returned = cli(prog_name="dbt")  # click exits by itself; as the `dbt` command has it otherwise
        code = returned if isinstance(returned, int) else 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on dbt's stderr, as dbt itself would
        traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    finished.set()
    with contextlib.suppress(OSError):
        connection.send(json.dumps({"exit": code}).encode())
    sys.exit(code)  # not os._exit: multiprocessing's finalizers release dbt's semaphores


if __name__ == "__main__":
    _serve()
