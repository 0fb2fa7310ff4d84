"""The session's interpreter (PROTOCOL.md, "Session mode"): the process that keeps `__main__`'s
namespace between cells, and the supervisor's handle on it.

Forked from the supervisor (so the preloads are already imported), it drops to the code's user, has
its own session and process group and talks to the supervisor over a socketpair only: each cell
arrives there together with fresh stdin/stdout/stderr pipes (SCM_RIGHTS), so every cell has its own
EOF on stdin and its output ends with it. Between cells it is stopped (SIGSTOP, by itself once it is
ready for the next cell): the supervisor continues it to hand a cell over, and a cell has ended when
the interpreter is stopped again (or gone). Whatever the interpreter writes on the socket (a `running`
hint, a `done` line with the exit status and error) is the code's to write too: it never ends a cell,
starts the service's clock or stops one.
"""

import gc
import json
import linecache
import os
import signal
import socket
import struct
import sys

from .display import install as install_display
from .identity import become_code_user
from .limits import apply_cell_limits, set_dumpable
from .usercode import (
    exit_status, flush_open_files, fresh_main_module, install_stdio, register_source,
    release_frames, run_code, show_figures_as_files,
)

KEPT_CELL_SOURCES = 100              # linecache entries of earlier cells (tracebacks of their functions)
EXIT_INTERPRETER_FAILED = 70


# --- The interpreter process ------------------------------------------------------------------

def interpreter_main(sock, workspace):
    """Body of the interpreter process. Never returns: every path ends in os._exit()."""
    status = EXIT_INTERPRETER_FAILED
    try:
        signal.set_wakeup_fd(-1)  # the supervisor's SIGCHLD wake-up is not ours
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        become_code_user()  # first: nothing of the code's runs with the supervisor's identity
        set_dumpable(True)  # the supervisor is not: its /proc/1/fd stays closed to the code
        os.setsid()  # own process group: the supervisor interrupts or kills it as a whole
        raise_oom_score()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        devnull = os.open(os.devnull, os.O_RDWR)
        detach_stdio(devnull)  # above all fd 0: the service's request stream is not for the code
        keep = sorted((sock.fileno(), devnull))
        # The protocol stream, the supervisor's selector, pipes and pidfds: none of them is ours.
        os.closerange(3, keep[0])
        os.closerange(keep[0] + 1, keep[1])
        os.closerange(keep[1] + 1, os.sysconf('SC_OPEN_MAX'))
        os.chdir(workspace)
        show_figures_as_files()
        module = fresh_main_module()
        sys.path[:1] = [workspace]
        sys.argv = ['']
        namespace = module.__dict__
        cell = 0
        while True:
            # Idle until the supervisor hands the next cell over (it continues us first).
            os.kill(os.getpid(), signal.SIGSTOP)
            received = receive_cell(sock)
            if received is None:
                status = 0  # the supervisor is gone
                break
            cell += 1
            status, report = run_cell(sock, received[0], received[1], namespace, cell, devnull)
            send_event(sock, {'cell': cell, 'event': 'done', 'status': status, 'error': report})
    except BaseException as exc:
        try:
            os.write(2, f'session: interpreter failed: {exc!r}\n'.encode('utf-8', 'replace'))
        except BaseException:
            pass
    finally:
        os._exit(status)


def raise_oom_score():
    """Make the interpreter the memory cgroup's first victim, so an OOM kill never hits the supervisor."""
    try:
        with open('/proc/self/oom_score_adj', 'w') as adj:
            adj.write('1000')
    except OSError:
        pass


def run_cell(sock, request, fds, namespace, cell, devnull):
    """Run one cell on its own pipes; return (exit status, error report)."""
    filename = f'<cell-{cell}>'
    apply_cell_limits(request)
    for target, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target)
        os.close(fd)
    display_fd = fds[3]
    install_display(display_fd)
    install_stdio()
    saved_env = swap_env(request['env'])
    sys.argv = [filename] + request['argv']
    register_source(request['code'], filename)
    linecache.cache.pop(f'<cell-{cell - KEPT_CELL_SOURCES}>', None)
    pid = os.getpid()
    exc = None
    try:
        try:
            # Only while the cell runs does an interrupt become KeyboardInterrupt; the supervisor
            # sends it after `running`, so it can never hit the bookkeeping around the cell.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            send_event(sock, {'cell': cell, 'event': 'running'})
            exc = run_code(request['code'], request['last_line_interactive'], namespace, filename)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:
        pass  # the interrupt arrived as the cell ended: the cell's own outcome stands
    if os.getpid() != pid:
        os._exit(0)  # a process forked by the cell fell through to here: it must not report for us
    status, report = exit_status(exc, filename)
    if exc is not None:
        release_frames(exc)
        exc = None
    # Files the cell left open must reach the workspace before the supervisor scans it.
    flush_open_files()
    flush_stdio()
    restore_env(saved_env)
    install_display(None)
    os.close(display_fd)
    detach_stdio(devnull)
    return status, report


def swap_env(env):
    """Set the cell's variables; return what to restore afterwards (None = was unset)."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    return saved


def restore_env(saved):
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def flush_stdio():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def detach_stdio(devnull):
    """Point 0/1/2 at /dev/null: the cell's pipes close here, which ends its output for the supervisor."""
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


# --- The control socket -----------------------------------------------------------------------

def send_event(sock, obj):
    data = (json.dumps(obj) + '\n').encode('ascii')
    sock.sendall(data)


def receive_cell(sock):
    """One cell from the supervisor: (request dict, [stdin, stdout, stderr, display] fds), or None at EOF."""
    data, fds, _flags, _addr = socket.recv_fds(sock, 65536, 4)
    if not data:
        return None
    while len(data) < 4:
        more = sock.recv(65536)
        if not more:
            return None
        data += more
    (length,) = struct.unpack('>I', data[:4])
    chunks = [data[4:]]
    have = len(data) - 4
    while have < length:
        more = sock.recv(min(1 << 20, length - have))
        if not more:
            return None
        chunks.append(more)
        have += len(more)
    if len(fds) != 4:
        raise RuntimeError(f'a cell arrived with {len(fds)} descriptors instead of 4')
    return json.loads(b''.join(chunks).decode('utf-8')), fds


# --- The supervisor's handle ------------------------------------------------------------------

class Interpreter:
    """The supervisor's handle on the interpreter process and its control socket."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.pid = None
        self.sock = None
        self.exit_status = None   # set by the reaper once the process has ended
        self.stopped = False      # stopped, as it is between cells
        self.stop_signal = None   # the signal that stopped it last
        self.cells = 0

    def start(self):
        parent_sock, child_sock = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # preloaded modules stay shared with the interpreter's pages
        pid = os.fork()
        if pid == 0:
            parent_sock.close()
            interpreter_main(child_sock, self.workspace)  # never returns
        child_sock.close()
        self.pid, self.sock, self.exit_status, self.cells = pid, parent_sock, None, 0
        # Ready for its first cell once it has stopped itself (or it failed on the way).
        self.record(os.waitpid(pid, os.WUNTRACED)[1])

    def alive(self):
        return self.exit_status is None

    def record(self, status):
        if os.WIFSTOPPED(status):
            self.stopped, self.stop_signal = True, os.WSTOPSIG(status)
        elif os.WIFCONTINUED(status):
            self.stopped = False
        else:
            self.exit_status = status

    def poll(self):
        """Take the state changes (stopped, continued, ended) the kernel holds for us."""
        while self.exit_status is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG | os.WUNTRACED | os.WCONTINUED)
            except ChildProcessError:
                return  # already reaped: Session.reap recorded its end
            if pid == 0:
                return
            self.record(status)

    def resume(self):
        """Continue it for a cell; from now on only a new stop ends that cell."""
        self.poll()
        self.stopped = False
        try:
            os.kill(self.pid, signal.SIGCONT)  # not its group: what the code stopped stays stopped
        except OSError:
            pass  # ESRCH: gone, the hand-over notices

    def hold(self):
        """Stop it again: something else continued it between cells."""
        try:
            os.kill(self.pid, signal.SIGSTOP)
        except OSError:
            pass  # ESRCH: gone, the reaper notes it

    def signal_group(self, signum):
        try:
            os.killpg(self.pid, signum)
        except OSError:
            pass  # ESRCH: already gone

    def kill(self):
        """Kill the interpreter and everything in its process group; wait for the interpreter."""
        self.signal_group(signal.SIGKILL)
        if self.exit_status is None:
            try:
                self.exit_status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                self.exit_status = signal.SIGKILL  # reaped elsewhere; it was killed either way

    def restart(self):
        self.kill()
        self.sock.close()
        self.start()

    def send_cell(self, request, fds):
        data = json.dumps(request).encode('utf-8')
        message = struct.pack('>I', len(data)) + data
        sent = socket.send_fds(self.sock, [message[:65536]], fds)
        self.sock.sendall(message[sent:])
