"""Session mode (RUNNER_MODE=session): one persistent Python interpreter for many ops.

The wire protocol is PROTOCOL.md, "Session mode"; the frames the service reads are the one-shot
runner's. Two processes:
  supervisor  (PID 1 of the container, never runs user code) boots like the one-shot runner, forks
              the interpreter, then serves ops read from the attached stdin one at a time: `files`,
              `execute`, and `interrupt` while an execute runs. It snapshots the workspace before a
              cell and sends what changed after it, relays output, enforces the interrupt grace and
              restarts the interpreter when it dies or has to be killed. It is also the container's
              init, so it reaps orphans.
  interpreter (interpreter.py) keeps `__main__`'s namespace between cells, as the code's user. It
              runs only during a cell: between cells it is stopped, and the supervisor stops it again
              if anything else continues it.
"""

import os
import selectors
import signal
import sys

from .cell import CellRun
from .identity import CodeUser
from .interpreter import Interpreter
from .limits import read_oom_kills
from .protocol import (
    EXIT_RUNNER_FAILED, FrameWriter, RequestError, open_protocol_stream, parse_cell_request,
    parse_files, read_op, report_failure,
)
from .startup import prepare_mplconfig, preload_modules, preload_spec
from .usage import UsageClock
from .workspace import create_workspace, emit_generated_files, snapshot_workspace, write_input_files

IDLE_WAKE_SECONDS = 1.0              # orphans are reaped at least this often while idle


class Session:
    """The supervisor: serves ops from the service until its stdin ends."""

    def __init__(self, writer, workspace):
        self.writer = writer
        self.workspace = workspace
        self.interpreter = Interpreter(workspace)
        self.restart_pending = False  # the interpreter died between cells: the next result says so
        # SIGCHLD (a child stopped, continued or ended) makes this fd readable: the loops wake up.
        self.wakeup, wakeup_w = os.pipe()
        for fd in (self.wakeup, wakeup_w):
            os.set_blocking(fd, False)
        signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
        signal.set_wakeup_fd(wakeup_w, warn_on_full_buffer=False)

    def drain_wakeup(self):
        try:
            while os.read(self.wakeup, 4096):
                pass
        except BlockingIOError:
            pass

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
            self.interpreter.poll()
            if not self.interpreter.alive():
                self.restart_interpreter()
                self.restart_pending = True
            elif not self.interpreter.stopped:
                self.interpreter.hold()  # continued by a process of the code: no cell runs now
            with selectors.DefaultSelector() as idle:
                idle.register(0, selectors.EVENT_READ)
                idle.register(self.wakeup, selectors.EVENT_READ)
                ready = {key.fd for key, _mask in idle.select(IDLE_WAKE_SECONDS)}
            self.drain_wakeup()
            if 0 in ready:
                return read_op(0)

    def execute(self, raw):
        request = parse_cell_request(raw)
        with CodeUser():
            snapshot = snapshot_workspace(self.workspace)
        oom_before = read_oom_kills()
        clock = UsageClock()
        run = CellRun(self, request, clock)
        exit_code, signum, error, restarted = run.run()
        restarted = restarted or self.restart_pending
        self.restart_pending = False
        with CodeUser():
            directories, dropped = emit_generated_files(
                self.writer, self.workspace, snapshot, request['max_files'], request['max_files_bytes'])
        return {
            'exit_code': exit_code,
            'signal': signum,
            'oom_kills': max(0, read_oom_kills() - oom_before),
            'stdout_bytes': run.stdout.total,
            'stderr_bytes': run.stderr.total,
            'error': error,
            'directories': directories,
            'files_dropped': dropped,
            'interpreter_restarted': restarted,
            'usage': clock.report(),
            'outputs_dropped': run.display.dropped,
        }

    def put_files(self, raw):
        files = parse_files(raw.get('files', []))
        with CodeUser():
            write_input_files(self.workspace, files)
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
                    raise RequestError(f'unknown op {kind!r}')
            except RequestError as exc:
                # A bad op fails alone; the session and its interpreter stay as they were.
                self.writer.write_failure(str(exc))


def main():
    """Entry point of session mode (boot.py calls it). Never returns."""
    stream = open_protocol_stream()
    writer = FrameWriter(stream)
    status = 0
    session = None
    try:
        with CodeUser():  # matplotlib's config dir and the workspace are the code's
            prepare_mplconfig()
            preload_modules(preload_spec())
            workspace = create_workspace()
        session = Session(writer, workspace)
        session.interpreter.start()
        writer.write(b'R')
        session.serve()
    except BrokenPipeError:
        status = EXIT_RUNNER_FAILED  # the service is gone
    except Exception as exc:  # never die silently: the service waits for a frame
        status = report_failure(writer, f'session failure: {type(exc).__name__}: {exc}')
    finally:
        if session is not None and session.interpreter.pid is not None:
            session.interpreter.kill()
        try:
            sys.stderr.flush()
        finally:
            os._exit(status)
