"""One cell of a session (PROTOCOL.md, "One cell"): the supervisor's side of an `execute` op.

The supervisor continues the stopped interpreter and hands it the cell with fresh pipes (the
service's clock starts here, `S`), relays its output, feeds its stdin, turns the service's `interrupt`
into SIGINT and, after the grace, into a kill. The cell has ended when the interpreter is stopped
again or gone, which the supervisor sees from the kernel (waitpid), never from what the interpreter
writes: its `done` line only says the exit status and error the code's run ended with, its `running`
line only when SIGINT can become a KeyboardInterrupt.
"""

import json
import os
import selectors
import signal
import socket
import sys
import time

from .identity import CodeUser
from .protocol import CHUNK_BYTES, EXIT_RUNNER_FAILED, RequestError, is_plain_int, read_op
from .processes import cpu_seconds, kill_started_since, sandbox_pids
from .relay import (
    DRAIN_SECONDS, POLL_SECONDS, DisplayRelay, StdinFeeder, StreamRelay, decode_wait_status,
    parse_error_report,
)

CONTROL_LIMIT = 64 * 1024            # the interpreter's messages are untrusted: bound what we keep
CPU_GRACE_SECONDS = 1.0              # past the cell's RLIMIT_CPU, which normally stops it first
CPU_CHECK_SECONDS = 0.25             # how often the supervisor counts a running cell's CPU time
# What the interpreter needs of the request (stdin, files and the output bounds stay here).
CELL_FIELDS = ('code', 'last_line_interactive', 'argv', 'env', 'cpu_time_limit_sec',
               'fsize_limit_bytes', 'nofile_limit')


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
    if not (is_plain_int(status) and 0 <= status <= 255):
        status = 1
    error = event.get('error')
    report = None
    if error is not None:
        try:
            report = parse_error_report(json.dumps(error).encode('ascii'))
        except (TypeError, ValueError):
            report = None
    return status, report


class CellRun:
    """One execute op: hand the cell to the interpreter, relay, interrupt on request, finish.

    `session` is the Session serving the op (session.py): a cell uses its interpreter and writer,
    reaps through it and has it restart the interpreter.
    """

    def __init__(self, session, request, clock):
        self.session = session
        self.clock = clock           # usage: stopped as soon as the cell's outcome is known
        self.interpreter = session.interpreter
        self.request = request
        self.writer = session.writer
        self.selector = selectors.DefaultSelector()
        self.running = False         # the interpreter said the code runs: SIGINT is an interrupt now
        self.done = None             # (exit_code, error) of the interpreter's last `done` line
        self.interrupt_at = None     # when the service asked for the interrupt
        self.sigint_sent = False
        self.grace = request['interrupt_grace_ms'] / 1000
        # What existed before the cell: a stopped cell takes every newer process with it, and the
        # CPU the cell may use is counted over the interpreter and them (the interpreter could
        # raise its own RLIMIT_CPU: this is the limit the code cannot lift).
        self.pids_before = sandbox_pids()
        self.cpu_budget = request['cpu_time_limit_sec'] + CPU_GRACE_SECONDS
        self.cpu_before = cpu_seconds(session.interpreter.pid)
        self.cpu_checked_at = 0.0
        self.outcome = None          # (exit_code, signal, error) once known
        self.drain_deadline = None
        self.stdin_fd = None
        self.readers = {}

    # -- setup --

    def open_pipes(self):
        with CodeUser():  # the cell's stdio is the code's own (it may reopen /dev/stdout)
            stdin_r, stdin_w = os.pipe()
            stdout_r, stdout_w = os.pipe()
            stderr_r, stderr_w = os.pipe()
        display_r, display_w = os.pipe()
        max_output = self.request['max_output_bytes']
        self.stdout = StreamRelay(self.writer, b'o', max_output)
        self.stderr = StreamRelay(self.writer, b'e', max_output)
        self.display = DisplayRelay(self.writer, self.request['max_display_bytes'],
                                    self.request['max_output_items'])
        self.readers = {stdout_r: self.stdout, stderr_r: self.stderr, display_r: self.display}
        return (stdin_r, stdout_w, stderr_w, display_w), stdin_w

    def hand_over(self):
        """Send the cell with its pipes; a dead interpreter is replaced once."""
        for attempt in (1, 2):
            child_ends, stdin_w = self.open_pipes()
            self.interpreter.cells += 1
            self.cell = self.interpreter.cells
            cell_request = {key: self.request[key] for key in CELL_FIELDS}
            try:
                self.interpreter.resume()  # before sending: a stopped reader would block a long cell
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
                raise RequestError('the interpreter could not be started')
            self.session.restart_interpreter()
            self.session.restart_pending = True

    def register(self):
        for fd in self.readers:
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ)
        self.control = ControlReader(self.cell)
        self.selector.register(self.interpreter.sock, selectors.EVENT_READ)
        self.selector.register(0, selectors.EVENT_READ)
        self.feeder = StdinFeeder(self.request['stdin'])
        if self.request['stdin']:
            os.set_blocking(self.stdin_fd, False)
            self.selector.register(self.stdin_fd, selectors.EVENT_WRITE)
        else:
            self.close_stdin()
        # SIGCHLD wakes us up when the interpreter stops or ends; waitpid then says which.
        self.selector.register(self.session.wakeup, selectors.EVENT_READ)

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
            data = os.read(fd, CHUNK_BYTES)
        except BlockingIOError:
            return
        if data:
            self.readers[fd].feed(data)
            return
        self.unregister(fd)
        os.close(fd)
        del self.readers[fd]

    def read_control(self, rounds=1):
        """Read the interpreter's lines (at most `rounds` reads): hints, never the cell's end."""
        for _ in range(rounds):
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
                if event.get('event') == 'running':
                    self.running = True
                elif event.get('event') == 'done':
                    self.done = done_outcome(event)  # the last one before the stop counts

    def read_op(self):
        """While a cell runs the service may only interrupt it."""
        op = read_op(0)
        if op is None:
            # The service closed our stdin: it is gone, nobody to report to.
            self.interpreter.kill()
            os._exit(EXIT_RUNNER_FAILED)
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
            elif fd == self.session.wakeup:
                self.session.drain_wakeup()  # waitpid, in step(), says what happened

    def step(self, now):
        """Advance the state machine after events; return True when the run is over."""
        interpreter = self.interpreter
        interpreter.poll()
        if (self.interrupt_at is not None and self.running and not self.sigint_sent
                and self.outcome is None and interpreter.alive() and not interpreter.stopped):
            interpreter.signal_group(signal.SIGINT)  # KeyboardInterrupt, as Ctrl-C in a terminal
            self.sigint_sent = True
        if self.outcome is None and not interpreter.alive():
            code, signum = decode_wait_status(interpreter.exit_status)
            self.outcome = (code, signum, None)
        if self.outcome is None and interpreter.stopped:
            self.outcome = self.stopped_outcome()
        if self.outcome is None and now - self.cpu_checked_at >= CPU_CHECK_SECONDS:
            self.cpu_checked_at = now
            if self.cell_cpu_seconds() > self.cpu_budget:
                # Over its CPU time: what RLIMIT_CPU would have done, had the code not raised it.
                interpreter.kill()
                self.stop_started_processes()
                self.outcome = (128 + signal.SIGXCPU, signal.SIGXCPU, None)
        if (self.outcome is None and self.interrupt_at is not None
                and now - self.interrupt_at >= self.grace):
            # The code ignored the interrupt (or is stuck in C): the interpreter has to go.
            interpreter.kill()
            self.outcome = (128 + signal.SIGKILL, signal.SIGKILL, None)
        if self.outcome is not None and self.drain_deadline is None:
            self.clock.stop()
            self.drain_deadline = now + DRAIN_SECONDS
            self.close_stdin()
            self.unregister(interpreter.sock)
        return self.drain_deadline is not None and (not self.readers or now >= self.drain_deadline)

    def timeout(self, now):
        if self.drain_deadline is not None:
            return max(0.0, self.drain_deadline - now)
        if self.interrupt_at is not None:
            return max(0.0, min(POLL_SECONDS, self.interrupt_at + self.grace - now))
        return POLL_SECONDS

    def stopped_outcome(self):
        """The interpreter stopped: the cell is over, with the status its last `done` line gave.

        Without one (the code stopped the interpreter itself), as if the stop signal had ended it.
        """
        self.read_control(rounds=4)  # the `done` line was written just before the stop
        if self.done is not None:
            exit_code, error = self.done
            return exit_code, None, error
        signum = self.interpreter.stop_signal
        return 128 + signum, signum, None

    def run(self):
        """Return (exit_code, signal, error, interpreter_restarted)."""
        try:
            self.hand_over()
            self.writer.write(b'S')  # the service starts the deadline clock here
            self.register()
            while True:
                now = time.monotonic()
                self.handle(self.selector.select(self.timeout(now)))
                self.session.reap()
                if self.step(time.monotonic()):
                    break
        finally:
            self.close()
        if self.interrupt_at is not None:
            self.stop_started_processes()  # stopping a cell stops all it started, setsid() or not
        exit_code, signum, error = self.outcome
        restarted = not self.interpreter.alive()
        if restarted:
            self.session.restart_interpreter()
        return exit_code, signum, error, restarted

    def cell_cpu_seconds(self):
        """CPU time of this cell: the interpreter's since the cell began, and its new processes'."""
        started = sandbox_pids() - self.pids_before - {os.getpid(), self.interpreter.pid}
        return (cpu_seconds(self.interpreter.pid) - self.cpu_before
                + sum(cpu_seconds(pid) for pid in started))

    def stop_started_processes(self):
        spare = {os.getpid()}
        if self.interpreter.alive():
            spare.add(self.interpreter.pid)
        kill_started_since(self.pids_before, spare, self.session.reap)

    def close(self):
        self.close_stdin()
        self.unregister(self.session.wakeup)
        self.unregister(self.interpreter.sock)
        self.unregister(0)
        for fd in list(self.readers):
            self.unregister(fd)
            os.close(fd)
        self.readers.clear()
        self.selector.close()

