"""Session mode of the runner: one persistent Python interpreter for many requests.

Imported by runner.py only when RUNNER_MODE=session. The wire protocol is PROTOCOL.md, "Session
mode"; the frames the service reads are the one-shot runner's, so this module reuses runner.py's
request parsing, output relays, workspace scan and file frames.

Two processes:
  supervisor  (PID 1 of the container, never runs user code) boots like the one-shot runner, forks
              the interpreter, then serves ops read from the attached stdin one at a time: `files`,
              `execute`, and `interrupt` while an execute runs. It snapshots the workspace before a
              cell and sends what changed after it, relays output, enforces the interrupt grace and
              restarts the interpreter when it dies or has to be killed. It is also the container's
              init, so it reaps orphans.
  interpreter (own session and process group) keeps `__main__`'s namespace between cells. Each
              cell arrives over a socketpair together with fresh stdin/stdout/stderr pipes
              (SCM_RIGHTS), so every cell has its own EOF on stdin and its output ends with it.
"""

import gc
import json
import linecache
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import time

import runner

CONTROL_LIMIT = 64 * 1024            # the interpreter's messages are untrusted: bound what we keep
IDLE_WAKE_SECONDS = 1.0              # orphans are reaped at least this often while idle
DEFAULT_INTERRUPT_GRACE_MS = 2000
MAX_INTERRUPT_GRACE_MS = 60_000
KEPT_CELL_SOURCES = 100              # linecache entries of earlier cells (tracebacks of their functions)
EXIT_INTERPRETER_FAILED = 70


# --- Interpreter (the forked child) -----------------------------------------------------------

def raise_oom_score():
    """Make the interpreter the memory cgroup's first victim, so an OOM kill never hits the supervisor."""
    try:
        with open('/proc/self/oom_score_adj', 'w') as adj:
            adj.write('1000')
    except OSError:
        pass


def send_event(sock, obj):
    data = (json.dumps(obj) + '\n').encode('ascii')
    sock.sendall(data)


def receive_cell(sock):
    """One cell from the supervisor: (request dict, [stdin, stdout, stderr] fds), or None at EOF."""
    data, fds, _flags, _addr = socket.recv_fds(sock, 65536, 3)
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
    if len(fds) != 3:
        raise RuntimeError(f'a cell arrived with {len(fds)} descriptors instead of 3')
    return json.loads(b''.join(chunks).decode('utf-8')), fds


def apply_cell_limits(request):
    """RLIMIT_CPU counts the process's whole life: allow this cell its budget on top of what is used."""
    runner.set_limit(resource.RLIMIT_CORE, 0)
    runner.set_limit(resource.RLIMIT_FSIZE, request['fsize_limit_bytes'])
    runner.set_limit(resource.RLIMIT_NOFILE, request['nofile_limit'])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + request['cpu_time_limit_sec']
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


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


def run_cell(sock, request, fds, namespace, cell, devnull):
    """Run one cell on its own pipes; return (exit status, error report)."""
    filename = f'<cell-{cell}>'
    runner.CODE_FILENAME = filename  # compile, linecache and traceback trimming read it at call time
    apply_cell_limits(request)
    for target, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target)
        os.close(fd)
    runner.install_stdio()
    saved_env = swap_env(request['env'])
    sys.argv = [filename] + request['argv']
    runner.register_source(request['code'])
    linecache.cache.pop(f'<cell-{cell - KEPT_CELL_SOURCES}>', None)
    pid = os.getpid()
    exc = None
    try:
        try:
            # Only while the cell runs does an interrupt become KeyboardInterrupt; the supervisor
            # sends it after `running`, so it can never hit the bookkeeping around the cell.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            send_event(sock, {'cell': cell, 'event': 'running'})
            exc = runner.run_code(request['code'], request['last_line_interactive'], namespace)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:
        pass  # the interrupt arrived as the cell ended: the cell's own outcome stands
    if os.getpid() != pid:
        os._exit(0)  # a process forked by the cell fell through to here: it must not report for us
    status, report = runner.exit_status(exc)
    if exc is not None:
        runner.release_frames(exc)
        exc = None
    # Files the cell left open must reach the workspace before the supervisor scans it.
    runner.flush_open_files()
    flush_stdio()
    restore_env(saved_env)
    detach_stdio(devnull)
    return status, report


def interpreter_main(sock, workspace):
    """Body of the interpreter process. Never returns: every path ends in os._exit()."""
    status = EXIT_INTERPRETER_FAILED
    try:
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
        runner.show_figures_as_files()
        module = runner.fresh_main_module()
        sys.path[:1] = [workspace]
        sys.argv = ['']
        namespace = module.__dict__
        cell = 0
        while True:
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


# --- Supervisor -------------------------------------------------------------------------------

def read_op(fd):
    """The next op frame from the service (runner.read_request's format), or None at a clean EOF."""
    header = runner.read_exactly(fd, 4)
    if not header:
        return None
    if len(header) != 4:
        raise runner.RequestError('truncated op frame header')
    (length,) = struct.unpack('>I', header)
    if length > runner.MAX_REQUEST_BYTES:
        raise runner.RequestError(f'op frame too large: {length} bytes')
    payload = runner.read_exactly(fd, length)
    if len(payload) != length:
        raise runner.RequestError(f'truncated op frame: {len(payload)} of {length} bytes')
    try:
        op = json.loads(payload.decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise runner.RequestError(f'op is not valid UTF-8 JSON: {exc}') from None
    if not isinstance(op, dict):
        raise runner.RequestError('an op must be a JSON object')
    return op


class Interpreter:
    """The supervisor's handle on the interpreter process and its control socket."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.pid = None
        self.sock = None
        self.exit_status = None   # set by the reaper once the process has ended
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

    def alive(self):
        return self.exit_status is None

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


class ControlReader:
    """Bounded line reader of the interpreter's events; anything malformed is ignored."""

    def __init__(self, cell):
        self.cell = cell
        self.buffer = b''

    def feed(self, data):
        """Return the events of this cell completed by `data`."""
        self.buffer = (self.buffer + data)[-CONTROL_LIMIT:]
        events = []
        while b'\n' in self.buffer:
            line, self.buffer = self.buffer.split(b'\n', 1)
            try:
                event = json.loads(line.decode('ascii'))
            except (UnicodeDecodeError, ValueError, RecursionError):
                continue
            if isinstance(event, dict) and event.get('cell') == self.cell:
                events.append(event)
        return events


def done_outcome(event):
    """(exit_code, error) from a `done` event, sanitised like the one-shot runner's error report."""
    status = event.get('status')
    if not (runner.is_plain_int(status) and 0 <= status <= 255):
        status = 1
    error = event.get('error')
    report = None
    if error is not None:
        try:
            report = runner.parse_error_report(json.dumps(error).encode('ascii'))
        except (TypeError, ValueError):
            report = None
    return status, report


class CellRun:
    """One execute op: hand the cell to the interpreter, relay, interrupt on request, finish."""

    def __init__(self, session, request):
        self.session = session
        self.interpreter = session.interpreter
        self.request = request
        self.writer = session.writer
        self.selector = selectors.DefaultSelector()
        self.started = False
        self.interrupt_at = None     # when the service asked for the interrupt
        self.sigint_sent = False
        self.grace = request['interrupt_grace_ms'] / 1000
        self.outcome = None          # (exit_code, signal, error) once known
        self.drain_deadline = None
        self.stdin_fd = None
        self.pidfd = None
        self.readers = {}

    # -- setup --

    def open_pipes(self):
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        max_output = self.request['max_output_bytes']
        self.stdout = runner.StreamRelay(self.writer, b'o', max_output)
        self.stderr = runner.StreamRelay(self.writer, b'e', max_output)
        self.readers = {stdout_r: self.stdout, stderr_r: self.stderr}
        return (stdin_r, stdout_w, stderr_w), stdin_w

    def hand_over(self):
        """Send the cell with its pipes; a dead interpreter is replaced once."""
        for attempt in (1, 2):
            child_ends, stdin_w = self.open_pipes()
            self.interpreter.cells += 1
            self.cell = self.interpreter.cells
            cell_request = {key: self.request[key] for key in (
                'code', 'last_line_interactive', 'argv', 'env', 'cpu_time_limit_sec',
                'fsize_limit_bytes', 'nofile_limit')}
            try:
                self.interpreter.send_cell(cell_request, list(child_ends))
                sent = True
            except OSError:
                sent = False
            for fd in child_ends:
                os.close(fd)
            if sent:
                self.stdin_fd = stdin_w
                return
            os.close(stdin_w)
            for fd in self.readers:
                os.close(fd)
            self.readers = {}
            if attempt == 2:
                raise runner.RequestError('the interpreter could not be started')
            self.session.restart_interpreter()
            self.session.restart_pending = True

    def register(self):
        for fd in self.readers:
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ)
        self.control = ControlReader(self.cell)
        self.selector.register(self.interpreter.sock, selectors.EVENT_READ)
        self.selector.register(0, selectors.EVENT_READ)
        self.feeder = runner.StdinFeeder(self.request['stdin'])
        if self.request['stdin']:
            os.set_blocking(self.stdin_fd, False)
            self.selector.register(self.stdin_fd, selectors.EVENT_WRITE)
        else:
            self.close_stdin()
        self.pidfd = runner.open_pidfd(self.interpreter.pid)
        if self.pidfd is not None:
            self.selector.register(self.pidfd, selectors.EVENT_READ)

    # -- loop --

    def close_stdin(self):
        if self.stdin_fd is None:
            return
        try:
            self.selector.unregister(self.stdin_fd)
        except KeyError:
            pass
        os.close(self.stdin_fd)
        self.stdin_fd = None

    def unregister(self, fileobj):
        try:
            self.selector.unregister(fileobj)
        except (KeyError, ValueError):
            pass

    def read_output(self, fd):
        try:
            data = os.read(fd, runner.CHUNK_BYTES)
        except BlockingIOError:
            return
        if data:
            if not self.started:
                # `running` precedes any output, but the selector may hand us the output first.
                self.read_control()
                if not self.started:
                    self.mark_started()
            self.readers[fd].feed(data)
            return
        self.unregister(fd)
        os.close(fd)
        del self.readers[fd]

    def read_control(self):
        try:
            data = self.interpreter.sock.recv(65536, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b''
        if not data:
            self.unregister(self.interpreter.sock)  # the interpreter is gone: its exit tells how
            return
        for event in self.control.feed(data):
            if event.get('event') == 'running' and not self.started:
                self.mark_started()
            elif event.get('event') == 'done' and self.outcome is None:
                exit_code, error = done_outcome(event)
                self.outcome = (exit_code, None, error)

    def mark_started(self):
        self.started = True
        self.writer.write(b'S')  # the service starts the deadline clock here

    def read_op(self):
        """While a cell runs the service may only interrupt it."""
        op = read_op(0)
        if op is None:
            # The service closed our stdin: it is gone, nobody to report to.
            self.interpreter.kill()
            os._exit(runner.EXIT_RUNNER_FAILED)
        if op.get('op') == 'interrupt':
            if self.interrupt_at is None:
                self.interrupt_at = time.monotonic()
        else:
            print(f'session: op {op.get("op")!r} ignored while a cell runs', file=sys.stderr)

    def handle(self, events):
        for key, _mask in events:
            fd = key.fd
            if fd == self.stdin_fd:
                if self.feeder.write_some(fd):
                    self.close_stdin()
            elif fd in self.readers:
                self.read_output(fd)
            elif key.fileobj is self.interpreter.sock:
                self.read_control()
            elif fd == 0:
                self.read_op()
            # pidfd readiness only wakes us up; the reaper records the exit.

    def step(self, now):
        """Advance the state machine after events; return True when the run is over."""
        interpreter = self.interpreter
        if (self.interrupt_at is not None and self.started and not self.sigint_sent
                and self.outcome is None and interpreter.alive()):
            interpreter.signal_group(signal.SIGINT)  # KeyboardInterrupt, as Ctrl-C in a terminal
            self.sigint_sent = True
        if self.outcome is None and not interpreter.alive():
            code, signum = runner.decode_wait_status(interpreter.exit_status)
            self.outcome = (code, signum, None)
        if (self.outcome is None and self.interrupt_at is not None
                and now - self.interrupt_at >= self.grace):
            # The code ignored the interrupt (or is stuck in C): the interpreter has to go.
            interpreter.kill()
            self.outcome = (128 + signal.SIGKILL, signal.SIGKILL, None)
        if self.outcome is not None and self.drain_deadline is None:
            self.drain_deadline = now + runner.DRAIN_SECONDS
            self.close_stdin()
            self.unregister(interpreter.sock)
            if self.pidfd is not None:
                self.unregister(self.pidfd)
                os.close(self.pidfd)
                self.pidfd = None
        return self.drain_deadline is not None and (not self.readers or now >= self.drain_deadline)

    def timeout(self, now):
        if self.drain_deadline is not None:
            return max(0.0, self.drain_deadline - now)
        if self.interrupt_at is not None:
            return max(0.0, min(runner.POLL_SECONDS, self.interrupt_at + self.grace - now))
        return runner.POLL_SECONDS if self.pidfd is not None else runner.POLL_SECONDS_NO_PIDFD

    def run(self):
        """Return (exit_code, signal, error, interpreter_restarted)."""
        try:
            self.hand_over()
            self.register()
            while True:
                now = time.monotonic()
                self.handle(self.selector.select(self.timeout(now)))
                self.session.reap()
                if self.step(time.monotonic()):
                    break
        finally:
            self.close()
        if not self.started:
            self.mark_started()  # an execute is always `S` ... `r`, even when the cell never ran
        exit_code, signum, error = self.outcome
        restarted = not self.interpreter.alive()
        if restarted:
            self.session.restart_interpreter()
        return exit_code, signum, error, restarted

    def close(self):
        self.close_stdin()
        if self.pidfd is not None:
            self.unregister(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None
        self.unregister(self.interpreter.sock)
        self.unregister(0)
        for fd in list(self.readers):
            self.unregister(fd)
            os.close(fd)
        self.readers.clear()
        self.selector.close()


class Session:
    """The supervisor: serves ops from the service until its stdin ends."""

    def __init__(self, writer, workspace):
        self.writer = writer
        self.workspace = workspace
        self.interpreter = Interpreter(workspace)
        self.restart_pending = False  # the interpreter died between cells: the next result says so

    def reap(self):
        """Collect every ended child (the supervisor is PID 1); note the interpreter's end."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.interpreter.pid and self.interpreter.exit_status is None:
                self.interpreter.exit_status = status

    def restart_interpreter(self):
        self.interpreter.restart()

    def next_op(self):
        """The next op from the service, reaping (and replacing a dead interpreter) while idle."""
        while True:
            self.reap()
            if not self.interpreter.alive():
                self.restart_interpreter()
                self.restart_pending = True
            with selectors.DefaultSelector() as idle:
                idle.register(0, selectors.EVENT_READ)
                if not idle.select(IDLE_WAKE_SECONDS):
                    continue
            return read_op(0)

    def execute(self, raw):
        request = runner.parse_request(raw)
        grace = raw.get('interrupt_grace_ms', DEFAULT_INTERRUPT_GRACE_MS)
        if not runner.is_plain_int(grace) or not 0 <= grace <= MAX_INTERRUPT_GRACE_MS:
            raise runner.RequestError(f'interrupt_grace_ms must be an integer between 0 and {MAX_INTERRUPT_GRACE_MS}')
        request['interrupt_grace_ms'] = grace
        snapshot = runner.snapshot_workspace(self.workspace)
        oom_before = runner.read_oom_kills()
        run = CellRun(self, request)
        exit_code, signum, error, restarted = run.run()
        restarted = restarted or self.restart_pending
        self.restart_pending = False
        directories, dropped = runner.emit_generated_files(
            self.writer, self.workspace, snapshot, request['max_files'], request['max_files_bytes'])
        return {
            'exit_code': exit_code,
            'signal': signum,
            'oom_kills': max(0, runner.read_oom_kills() - oom_before),
            'stdout_bytes': run.stdout.total,
            'stderr_bytes': run.stderr.total,
            'error': error,
            'directories': directories,
            'files_dropped': dropped,
            'interpreter_restarted': restarted,
        }

    def put_files(self, raw):
        runner.write_input_files(self.workspace, runner.parse_files(raw.get('files', [])))
        return {}

    def serve(self):
        while True:
            op = self.next_op()
            if op is None:
                return
            kind = op.get('op')
            try:
                if kind == 'execute':
                    self.writer.write_json(b'r', self.execute(op))
                elif kind == 'files':
                    self.writer.write_json(b'r', self.put_files(op))
                elif kind == 'interrupt':
                    pass  # it crossed the result of the cell it meant: nothing runs now
                else:
                    raise runner.RequestError(f'unknown op {kind!r}')
            except runner.RequestError as exc:
                # A bad op fails alone; the session and its interpreter stay as they were.
                self.writer.write_json(b'x', {'message': runner.clean_text(str(exc)[:runner.MAX_FAILURE_MESSAGE_CHARS])})


def main():
    """Entry point of session mode (runner.py calls it). Never returns."""
    stream = runner.open_protocol_stream()
    writer = runner.FrameWriter(stream)
    status = 0
    session = None
    try:
        runner.prepare_mplconfig(os.environ.get('RUNNER_MPLCONFIG_SRC', '/opt/mplconfig'))
        runner.preload_modules(os.environ.get('SANDBOX_PRELOAD', ''))
        workspace = os.path.realpath(os.environ.get('RUNNER_WORKSPACE', '/workspace'))
        os.makedirs(workspace, exist_ok=True)
        session = Session(writer, workspace)
        session.interpreter.start()
        writer.write(b'R')
        session.serve()
    except BrokenPipeError:
        status = runner.EXIT_RUNNER_FAILED  # the service is gone
    except Exception as exc:  # never die silently: the service waits for a frame
        status = runner.report_failure(writer, f'session failure: {type(exc).__name__}: {exc}')
    finally:
        if session is not None and session.interpreter.pid is not None:
            session.interpreter.kill()
        try:
            sys.stderr.flush()
        finally:
            os._exit(status)
