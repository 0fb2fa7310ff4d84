"""Running one program (PROTOCOL.md, "Execution of the code"): fork the code's process ahead of the
request, hand it the request, relay its output, notice its end, send the generated files.

select.poll instead of selectors (collections): every import is paid at every sandbox start.
"""

import gc
import os
import select
import sys
import time

from .child import child_main
from .identity import CodeUser
from .limits import read_oom_kills
from .protocol import CHUNK_BYTES, MAX_EXPRESSION_VALUE_BYTES, json_dumps
from .relay import (
    DRAIN_SECONDS, POLL_SECONDS, POLL_SECONDS_NO_PIDFD, BoundedSink, DisplayRelay, StdinFeeder,
    StreamRelay,
    decode_wait_status, kill_group, open_pidfd, parse_error_report,
    parse_expression_value,
)
from .usage import UsageClock
from .workspace import emit_generated_files

# The child's report (its error, or its trailing expression's value as ASCII JSON, at most 6 bytes
# per UTF-8 byte) is untrusted; bound what we keep.
ERROR_PIPE_LIMIT = 64 * 1024 + 6 * MAX_EXPRESSION_VALUE_BYTES
# What the code's process needs of the request (stdin and files stay with the parent).
CHILD_FIELDS = ('code', 'entrypoint', 'last_line_interactive', 'eval_last_expression',
                'pre_commands', 'argv', 'env', 'cpu_time_limit_sec', 'fsize_limit_bytes',
                'nofile_limit')


# --- The child: fork and hand-over -----------------------------------------------------------

def make_pipes(protocol_fd):
    fds = {'protocol': protocol_fd}
    # The code's stdio is its own (it may reopen /dev/stdout); the runner's other pipes are root's.
    with CodeUser():
        fds['stdin_r'], fds['stdin_w'] = os.pipe()
        fds['stdout_r'], fds['stdout_w'] = os.pipe()
        fds['stderr_r'], fds['stderr_w'] = os.pipe()
    fds['error_r'], fds['error_w'] = os.pipe()
    fds['display_r'], fds['display_w'] = os.pipe()  # child -> parent: display items
    fds['go_r'], fds['go_w'] = os.pipe()      # parent -> child: the request, once it exists
    fds['done_r'], fds['done_w'] = os.pipe()  # child -> parent: the exit status, just before exiting
    fds['ready_r'], fds['ready_w'] = os.pipe()  # child -> parent: closed once the preloads are in
    return fds


def close_child_ends(fds):
    for name in ('stdin_r', 'stdout_w', 'stderr_w', 'error_w', 'display_w', 'go_r', 'done_w',
                 'ready_w'):
        os.close(fds[name])


def spawn_child(protocol_fd, preloads=''):
    """Fork the code's process; it imports `preloads` (SANDBOX_PRELOAD, or nothing), then waits for
    its request on the hand-over pipe. Returns once it has imported them.

    A pooled sandbox does this while it waits for its request, so neither the fork nor the imports
    are on the request's path. The preloads are the child's own, never the runner's: a forked
    interpreter copies every page of its parent's heap it touches (reference counts and the
    collector write to most of them), which under gVisor's ptrace platform costs a trap per page,
    measured as 50-100 ms more for pandas' `describe()` in a forked child than in one that imported
    pandas itself.
    """
    fds = make_pipes(protocol_fd)
    # Buffered runner output must not be inherited (and written twice) by the child.
    sys.stdout.flush()
    sys.stderr.flush()
    # What the runner has alive is moved out of the collector's reach: the child's collections
    # and exit-time sweep do not walk it, and untouched pages stay shared.
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        child_main(fds, preloads)  # never returns
    close_child_ends(fds)
    wait_until_ready(fds.pop('ready_r'))
    return pid, fds


def wait_until_ready(fd):
    """Block until the child closes its end of the ready pipe: preloads imported, or it died (a
    dead child is replaced when its request comes, see start_child)."""
    try:
        while os.read(fd, 64):
            pass
    finally:
        os.close(fd)


def hand_over(fds, request, workspace):
    """Give the waiting child its request; False when it is gone (it must be replaced)."""
    message = json_dumps({'request': request, 'workspace': workspace}).encode('ascii')
    try:
        while message:
            message = message[os.write(fds['go_w'], message):]
        return True
    except OSError:  # BrokenPipe: the child died while it waited
        return False
    finally:
        os.close(fds['go_w'])


def discard_child(pid, fds):
    kill_group(pid)
    os.waitpid(pid, 0)
    for name in ('stdin_w', 'stdout_r', 'stderr_r', 'error_r', 'display_r', 'done_r'):
        os.close(fds[name])


def start_child(writer, request, workspace, protocol_fd, spawned):
    """The spawned child, or a fresh one if there is none or it died; given its request."""
    child_request = {key: request[key] for key in CHILD_FIELDS}
    writer.write(b'S')  # the service starts the deadline clock here
    if spawned is not None:
        pid, fds = spawned
        if hand_over(fds, child_request, workspace):
            return pid, fds
        discard_child(pid, fds)
    pid, fds = spawn_child(protocol_fd)
    if not hand_over(fds, child_request, workspace):
        raise RuntimeError('the child of the code died before it was given its request')
    return pid, fds


# --- The parent: relay until the child has ended ---------------------------------------------

def reap_if_exited(pid):
    """Return the wait status once the child has exited, after killing its process group.

    WNOWAIT leaves the child a zombie while we kill the group, so its pid (= pgid) cannot be
    reused by an unrelated process in between.
    """
    if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        return None
    kill_group(pid)
    return os.waitpid(pid, 0)[1]


class Supervisor:
    """The parent's event loop: relay output, feed stdin, notice the exit, drain, clean up."""

    def __init__(self, writer, pid, fds, request, clock):
        self.pid = pid
        self.clock = clock
        self.poller = select.poll()
        self.stdout = StreamRelay(writer, b'o', request['max_output_bytes'])
        self.stderr = StreamRelay(writer, b'e', request['max_output_bytes'])
        self.error = BoundedSink(ERROR_PIPE_LIMIT)
        self.display = DisplayRelay(writer, request['max_display_bytes'], request['max_output_items'])
        self.readers = {fds['stdout_r']: self.stdout, fds['stderr_r']: self.stderr,
                        fds['error_r']: self.error, fds['display_r']: self.display}
        stdin_data = request['stdin']
        for fd in self.readers:
            os.set_blocking(fd, False)
            self.poller.register(fd, select.POLLIN)
        self.stdin_fd = fds['stdin_w']
        self.feeder = StdinFeeder(stdin_data)
        if stdin_data:
            os.set_blocking(self.stdin_fd, False)
            self.poller.register(self.stdin_fd, select.POLLOUT)
        else:
            self.close_stdin()  # immediate EOF for the code
        self.pidfd = open_pidfd(pid)
        if self.pidfd is not None:
            self.poller.register(self.pidfd, select.POLLIN)
        self.done_fd = fds['done_r']
        self.announced = None
        os.set_blocking(self.done_fd, False)
        self.poller.register(self.done_fd, select.POLLIN)

    def close_stdin(self):
        if self.stdin_fd is None:
            return
        try:
            self.poller.unregister(self.stdin_fd)
        except KeyError:
            pass
        os.close(self.stdin_fd)
        self.stdin_fd = None

    def close_pidfd(self):
        if self.pidfd is not None:
            self.poller.unregister(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None

    def close_done(self):
        if self.done_fd is not None:
            self.poller.unregister(self.done_fd)
            os.close(self.done_fd)
            self.done_fd = None

    def read_announcement(self):
        """The exit status the child sends just before it exits; EOF: it died without one."""
        try:
            data = os.read(self.done_fd, 1)
        except BlockingIOError:
            return
        if data:
            self.announced = data[0]
        self.close_done()

    def read_from(self, fd):
        try:
            data = os.read(fd, CHUNK_BYTES)
        except BlockingIOError:
            return
        if data:
            self.readers[fd].feed(data)
            return
        self.poller.unregister(fd)
        os.close(fd)
        del self.readers[fd]

    def handle(self, events):
        # Any event counts (POLLHUP/POLLERR included): the read or write then sees EOF or EPIPE.
        for fd, _mask in events:
            if fd == self.stdin_fd:
                if self.feeder.write_some(fd):
                    self.close_stdin()
            elif fd in self.readers:
                self.read_from(fd)
            elif fd == self.done_fd:
                self.read_announcement()
            # pidfd readiness only wakes us up; the exit itself is checked by the caller.

    def run(self):
        """Loop until the child has exited and its pipes are drained; return the wait status."""
        status = None
        deadline = None
        while True:
            if deadline is None:
                timeout = POLL_SECONDS if self.pidfd is not None else POLL_SECONDS_NO_PIDFD
            else:
                timeout = max(0.0, deadline - time.monotonic())
            self.handle(self.poller.poll(-(-timeout * 1000 // 1)))  # ms, rounded up
            if status is None:
                status = reap_if_exited(self.pid)
                if status is None and self.announced is not None:
                    # Exiting with that code: its pipes are closed, only the teardown is left.
                    kill_group(self.pid)
                    status = self.announced << 8  # a wait status: exited with that code
                if status is not None:
                    self.clock.stop()
                    # Grandchildren may keep the pipes open forever: bounded drain only.
                    deadline = time.monotonic() + DRAIN_SECONDS
                    self.close_stdin()
                    self.close_pidfd()
                    self.close_done()
            if status is not None and (not self.readers or time.monotonic() >= deadline):
                return status

    def close(self):
        self.close_stdin()
        self.close_pidfd()
        self.close_done()
        for fd in list(self.readers):
            self.poller.unregister(fd)
            os.close(fd)
        self.readers.clear()


# --- One run ----------------------------------------------------------------------------------

def execute(writer, request, workspace, snapshot, protocol_fd, spawned):
    """Run the code, relay its output, send the generated files; return the result object."""
    clock = UsageClock()
    pid, fds = start_child(writer, request, workspace, protocol_fd, spawned)
    supervisor = None
    status = None
    try:
        supervisor = Supervisor(writer, pid, fds, request, clock)
        status = supervisor.run()
    finally:
        if supervisor is not None:
            supervisor.close()
        if status is None:  # the runner itself failed mid-run: leave nothing behind
            kill_group(pid)
            os.waitpid(pid, 0)
    exit_code, signum = decode_wait_status(status)
    oom_kills = read_oom_kills()
    with CodeUser():
        directories, dropped = emit_generated_files(writer, workspace, snapshot,
                                                    request['max_files'], request['max_files_bytes'])
    return {
        'exit_code': exit_code,
        'signal': signum,
        'oom_kills': oom_kills,
        'stdout_bytes': supervisor.stdout.total,
        'stderr_bytes': supervisor.stderr.total,
        'error': parse_error_report(supervisor.error.data),
        'last_expression_value': parse_expression_value(supervisor.error.data),
        'directories': directories,
        'files_dropped': dropped,
        'usage': clock.report(),
        'outputs_dropped': supervisor.display.dropped,
    }
