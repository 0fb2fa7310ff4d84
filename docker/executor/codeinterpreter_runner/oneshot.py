"""One-shot mode: one program per sandbox, from boot to result (PROTOCOL.md).

Shape of one run:
  boot (matplotlib cache) -> fork the code's process (it imports the preloads, then waits) -> `R` -> read one
  request -> write input files -> snapshot the workspace -> `S` -> hand the request to the child
  -> relay the child's pipes as `o`/`e` frames -> child announces its exit status (or dies) ->
  kill its process group -> drain pipes (bounded) -> `f` frames -> `r`.

The runner only uses the standard library and keeps its own imports light: it is started once per
execution, so its startup CPU is paid on every request (modules only some requests need are
imported where they are used, in the runner itself, never in the code's child, whose sys.path
starts with the workspace).
"""

import os
import sys

from .identity import CodeUser
from .program import execute, spawn_child
from .protocol import (
    EXIT_RUNNER_FAILED, FrameWriter, RequestError, open_protocol_stream, parse_request,
    read_frame_length, read_request, report_failure,
)
from .startup import prepare_mplconfig, preload_spec
from .workspace import create_workspace, snapshot_workspace, write_input_files


def prepare_workspace(request):
    """The workspace with the request's files in it, and its snapshot; made as the code's user."""
    with CodeUser():
        try:
            workspace = create_workspace()
        except OSError as exc:
            raise RequestError(f'workspace unusable: {exc}') from None
        write_input_files(workspace, request['files'])
        return workspace, snapshot_workspace(workspace)


def serve(writer, protocol_fd):
    """One execution from boot to result."""
    with CodeUser():  # the config dir is the code's; files a preload may write as well
        prepare_mplconfig()
    preloads = preload_spec()
    length = None
    imported = ''
    if preloads.strip():
        # Booted: the service either sends the request now (it is needed at once, so the
        # preloads are skipped) or an empty frame meaning "import the preloads, then wait".
        writer.write(b'B')
        length = read_frame_length(0)
        if length == 0:
            imported = preloads
            length = None
    spawned = None
    if length is None:
        # Nobody waits yet: fork the code's process now, off the request's path; it imports the
        # preloads itself (program.spawn_child says why) before the runner writes `R`.
        spawned = spawn_child(protocol_fd, imported)
        writer.write(b'R')
    request = parse_request(read_request(0, length))
    workspace, snapshot = prepare_workspace(request)
    return execute(writer, request, workspace, snapshot, protocol_fd, spawned)


# How long the runner stays after its result at most: the service ends its input when it removes
# the sandbox (once a burst of calls pauses, within a second or two); this bounds a sandbox whose
# service never does.
LINGER_SECONDS = 60


def linger():
    """After the result: kill every other process in the sandbox, then wait for the input to end.

    Exiting now would have the engine handle the container's exit (runtime, cgroup and network
    teardown) at once, sharing the cores with the service's next call in a burst; the service instead
    ends this runner's input when it removes the sandbox (deferred to a pause in the burst), and the
    runner exits then, so the removal finds a stopped container (cheaper than killing a running one).
    Nothing the code started survives the result: kill(-1) reaches every process but this one (PID 1).
    """
    import select
    import signal
    import time
    # A process forking while kill(-1) runs can miss it: repeat until nothing is left to signal
    # (ESRCH), reaping the killed (orphans are this PID 1's children) so zombies do not count.
    for _ in range(1000):
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            break  # ESRCH: no process left
        reap_children()
        time.sleep(0.001)
    deadline = time.monotonic() + LINGER_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([0], [], [], left)
        if not readable:
            continue
        try:
            if not os.read(0, 1 << 16):
                return  # EOF: the service is removing the sandbox
        except OSError:
            return


def reap_children():
    """Collects every child that has ended, without waiting for the others."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main():
    """Entry point of one-shot mode (boot.py calls it). Never returns."""
    stream = open_protocol_stream()
    writer = FrameWriter(stream)
    lingers = False
    try:
        result = serve(writer, stream.fileno())
        writer.write_json(b'r', result)
        status = 0
        lingers = True
    except BrokenPipeError:
        status = EXIT_RUNNER_FAILED  # the service is gone; nobody to report to
    except RequestError as exc:
        status = report_failure(writer, str(exc))
    except Exception as exc:  # never die silently: the service waits for `r` or `x`
        status = report_failure(writer, f'runner failure: {type(exc).__name__}: {exc}')
    try:
        sys.stderr.flush()
        if lingers:
            linger()
    finally:
        # os._exit: interpreter teardown of preloaded libraries (thread pools...) must not hang.
        os._exit(status)
