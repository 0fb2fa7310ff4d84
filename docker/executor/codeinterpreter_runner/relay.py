"""The runner's side of a process running code: its pipes relayed as frames, its stdin fed, its
end noticed and decoded. The one-shot program and the session's cells both use these.

_signal instead of signal (which imports enum): every import is paid at every sandbox start.
"""

import _signal
import os

from .protocol import CHUNK_BYTES, MAX_EXPRESSION_VALUE_BYTES, clean_text, is_plain_int, json_loads

DRAIN_SECONDS = 0.2                  # grandchildren may hold the pipes open after the child exits
POLL_SECONDS = 0.1                   # exit check cadence when no pidfd wakes us up
POLL_SECONDS_NO_PIDFD = 0.02


class StreamRelay:
    """Relays one output pipe as `o`/`e` frames up to `limit` bytes, counting everything."""

    def __init__(self, writer, frame_type, limit):
        self.writer = writer
        self.frame_type = frame_type
        self.limit = limit
        self.relayed = 0
        self.total = 0

    def feed(self, data):
        self.total += len(data)
        room = self.limit - self.relayed
        if room > 0:
            chunk = data[:room]
            self.relayed += len(chunk)
            self.writer.write(self.frame_type, chunk)


class DisplayRelay:
    """Relays the code's display items (one JSON line each, PROTOCOL.md "Display items") as `d` frames.

    The pipe is the code's to write, so nothing in a line is trusted here (the service checks it):
    a line longer than `limit` bytes is relayed as a truncated marker, never kept whole; past
    `max_items` items, lines are only counted (`dropped`); a last line without its newline is
    dropped (the display functions always end theirs).
    """

    TRUNCATED = b'{"type": "display_data", "data": {}, "truncated": true}'

    def __init__(self, writer, limit, max_items):
        self.writer = writer
        self.limit = limit
        self.max_items = max_items
        self.line = bytearray()
        self.oversized = False
        self.sent = 0
        self.dropped = 0

    def feed(self, data):
        while data:
            end = data.find(b'\n')
            part = data if end < 0 else data[:end]
            if not self.oversized:
                self.line += part
                if len(self.line) > self.limit:
                    self.oversized = True
                    self.line = bytearray()
            if end < 0:
                return
            self.finish_line()
            data = data[end + 1:]

    def finish_line(self):
        payload = self.TRUNCATED if self.oversized else bytes(self.line)
        self.line = bytearray()
        self.oversized = False
        if not payload.strip():
            return
        if self.sent >= self.max_items:
            self.dropped += 1
            return
        self.sent += 1
        self.writer.write(b'd', payload)


class BoundedSink:
    """Keeps at most `limit` bytes of an untrusted pipe (the child's error report), discards the rest."""

    def __init__(self, limit):
        self.limit = limit
        self.data = bytearray()

    def feed(self, data):
        room = self.limit - len(self.data)
        if room > 0:
            self.data += data[:room]


class StdinFeeder:
    """Writes the request's stdin without blocking: code that never reads cannot stall us."""

    def __init__(self, data):
        self.data = memoryview(data)
        self.offset = 0

    def write_some(self, fd):
        """Return True when done (all written, or the reader went away)."""
        try:
            self.offset += os.write(fd, self.data[self.offset:self.offset + CHUNK_BYTES])
        except BlockingIOError:
            return False
        except OSError:  # BrokenPipe: the code exited or closed stdin without reading it all
            return True
        return self.offset >= len(self.data)


def kill_group(pgid):
    try:
        os.killpg(pgid, _signal.SIGKILL)
    except OSError:
        pass  # ESRCH: nothing left in the group


def open_pidfd(pid):
    """A fd that becomes readable when the child exits, so we need not poll; None if absent."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def decode_wait_status(status):
    """(exit_code, signal): 128 + n and n when the child was killed by signal n."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        return 128 + signum, signum
    return os.WEXITSTATUS(status), None


def read_report(data):
    """The JSON object on the first line of the child's report pipe, or None."""
    try:
        report = json_loads(bytes(data).split(b'\n', 1)[0].decode('ascii'))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return report if isinstance(report, dict) else None


def parse_expression_value(data):
    """The trailing expression's repr from the child's report (bounded again), or None."""
    report = read_report(data)
    value = None if report is None else report.get('value')
    if not isinstance(value, str):
        return None
    return clean_text(value).encode('utf-8')[:MAX_EXPRESSION_VALUE_BYTES].decode('utf-8', 'ignore')


def parse_error_report(data):
    """The code's error report, if it is exactly what the runner writes; anything else is dropped."""
    report = read_report(data)
    if report is None:
        return None
    kind, message, line = report.get('type'), report.get('message'), report.get('line')
    if not (isinstance(kind, str) and isinstance(message, str)
            and (line is None or (is_plain_int(line) and 0 <= line < 2 ** 31))):
        return None
    return {'type': clean_text(kind), 'message': clean_text(message), 'line': line}
