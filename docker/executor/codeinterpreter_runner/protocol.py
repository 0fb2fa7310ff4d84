"""The protocol with the service (PROTOCOL.md): JSON, the frames written to it and read from it, and
the fields of a request (the session's `execute` and `files` ops carry the same fields and go
through the same checks).

The runner uses the C modules behind the usual ones where that avoids a chain of imports, since
every import is paid by every sandbox start (~1 CPU ms for each module pulled in): _json is the C
codec json uses (json pulls in re, enum, functools, collections: ~8 CPU ms), _thread instead of
threading.
"""

import _json
import _thread
import os
import sys

MAX_REQUEST_BYTES = 256 * 1024 * 1024
CHUNK_BYTES = 65536                  # max `o`/`e` payload, also the pipe read size
MAX_FRAME_PAYLOAD = 0xFFFFFFFF       # 4-byte length field
MAX_FAILURE_MESSAGE_CHARS = 4000     # `x` frames are bounded by the service as well
EXIT_RUNNER_FAILED = 2
# repr() of a trailing expression (`eval_last_expression`) is cut to this many UTF-8 bytes; the
# service bounds it again (SandboxRun.MaxExpressionValueBytes).
MAX_EXPRESSION_VALUE_BYTES = 65536
# The joined pre-commands are one argument of execve(): Linux takes at most 128 KiB per argument.
MAX_PRE_COMMANDS_BYTES = 128 * 1024 - 1
PRE_COMMANDS_SEPARATOR = ' && '


class RequestError(Exception):
    """The request (or something derived from it) is unusable: reported as an `x` frame."""


# --- JSON -------------------------------------------------------------------------------------

def _not_serializable(obj):
    raise TypeError(f'Object of type {type(obj).__name__} is not JSON serializable')


# What json.dumps(obj) does with its default arguments (ASCII output, ', ' and ': ' separators),
# through the same C encoder. No circular-reference check: the runner only encodes plain trees.
_encode = _json.make_encoder(None, _not_serializable, _json.encode_basestring_ascii, None,
                             ': ', ', ', False, False, True)


def json_dumps(obj):
    return ''.join(_encode(obj, 0))


class _DecodeSettings:
    """What json.loads passes to the C scanner by default (NaN and Infinity read as floats)."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float


_scan = _json.make_scanner(_DecodeSettings())


def json_loads(text):
    """json.loads(text) for a str: one JSON value with optional whitespace around it.

    Raises ValueError (the scanner's own errors are json.JSONDecodeError, a ValueError) or
    RecursionError, as json.loads does.
    """
    start = len(text) - len(text.lstrip(' \t\n\r'))
    try:
        value, end = _scan(text, start)
    except StopIteration:
        raise ValueError(f'Expecting value at char {start}') from None
    if text[end:].strip(' \t\n\r'):
        raise ValueError(f'Extra data at char {end}')
    return value


def clean_text(text):
    """Lone surrogates (legal in Python/JSON escapes) are rejected by strict JSON readers."""
    return text.encode('utf-8', 'backslashreplace').decode('utf-8')


# --- Frames to the service --------------------------------------------------------------------

class FrameWriter:
    """Writes runner -> service frames; the only shared mutable state is this lock."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = _thread.allocate_lock()

    def write(self, frame_type, *parts):
        """One frame = type byte, 4-byte BE payload length, payload (given as byte parts)."""
        length = sum(len(part) for part in parts)
        with self._lock:
            self._stream.write(frame_type + length.to_bytes(4, 'big'))
            for part in parts:
                self._stream.write(part)
            # The service acts on frames as they come (`S` starts its deadline clock).
            self._stream.flush()

    def write_json(self, frame_type, obj):
        self.write(frame_type, json_dumps(obj).encode('ascii'))

    def write_failure(self, message):
        """An `x` frame: the request or op could not be served."""
        self.write_json(b'x', {'message': clean_text(message[:MAX_FAILURE_MESSAGE_CHARS])})


def open_protocol_stream():
    """Take fd 1 for the protocol and point fd 1 at stderr.

    Anything else that prints to fd 1 (a chatty preloaded module, the runner by mistake) would
    corrupt the frame stream; after this it lands on the container's stderr instead. The
    duplicate is close-on-exec and the code's process closes it, so the code never sees the
    protocol.
    """
    sys.stdout.flush()
    stream = os.fdopen(os.dup(1), 'wb')
    os.dup2(2, 1)
    return stream


def report_failure(writer, message):
    """The last frame of a runner that failed (`x`); returns the runner's exit status."""
    try:
        writer.write_failure(message)
    except OSError:
        pass
    return EXIT_RUNNER_FAILED


# --- Frames from the service ------------------------------------------------------------------

def read_exactly(fd, size):
    """Read `size` bytes from fd, looping over short reads; fewer only at EOF."""
    chunks = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b''.join(chunks)


def read_frame_length(fd, kind='request', eof_ends=False):
    """Read the 4-byte big-endian length that starts a frame on stdin.

    With eof_ends, a clean EOF before the frame (the service closed the stream) gives None.
    """
    header = read_exactly(fd, 4)
    if eof_ends and not header:
        return None
    if len(header) != 4:
        raise RequestError(f'truncated {kind} frame header')
    return int.from_bytes(header, 'big')


def read_json_frame(fd, length, kind='request', subject='request'):
    """Read the payload of a length-prefixed frame (its length already read) and return its
    decoded JSON object. `kind` and `subject` name the frame in error messages."""
    if length > MAX_REQUEST_BYTES:
        raise RequestError(f'{kind} frame too large: {length} bytes')
    payload = read_exactly(fd, length)
    if len(payload) != length:
        raise RequestError(f'truncated {kind} frame: {len(payload)} of {length} bytes')
    try:
        obj = json_loads(payload.decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RequestError(f'{kind} is not valid UTF-8 JSON: {exc}') from None
    if not isinstance(obj, dict):
        raise RequestError(f'{subject} must be a JSON object')
    return obj


def read_request(fd, length=None):
    """The one-shot request frame (its length already read, if given) as a JSON object."""
    if length is None:
        length = read_frame_length(fd)
    return read_json_frame(fd, length)


def read_op(fd):
    """The next session op frame (the request frame's format), or None at a clean EOF."""
    length = read_frame_length(fd, 'op', eof_ends=True)
    if length is None:
        return None
    return read_json_frame(fd, length, 'op', 'an op')


# --- Request fields ---------------------------------------------------------------------------

# Request fields with their defaults; `code` has no default (a request without code is a bug).
INT_FIELDS = (
    ('cpu_time_limit_sec', 5),
    ('max_output_bytes', 1_000_000),
    ('fsize_limit_bytes', 104_857_600),
    ('nofile_limit', 256),
    ('max_files', 100),
    ('max_files_bytes', 52_428_800),
    ('max_output_items', 32),        # display items relayed; the rest are counted (`outputs_dropped`)
    ('max_display_bytes', 6_065_536),  # longest display item line relayed whole
)
MAX_INT_FIELD = 2 ** 62              # fits every rlim_t / size computation without overflow


def is_plain_int(value):
    # bool is an int subclass in Python but never a valid count or limit.
    return isinstance(value, int) and not isinstance(value, bool)


def check_encodable(text, what):
    """Strings go to the OS as UTF-8; lone surrogates from JSON escapes cannot."""
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        raise RequestError(f'{what} is not valid Unicode') from None


def parse_stdin(value):
    if value is None:
        return b''
    if not isinstance(value, str):
        raise RequestError('stdin must be a string or null')
    check_encodable(value, 'stdin')
    return value.encode('utf-8')


def parse_argv(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RequestError('argv must be a list of strings')
    return list(value)


def parse_env(value):
    if not isinstance(value, dict):
        raise RequestError('env must be an object of strings')
    for key, item in value.items():
        if not isinstance(item, str):
            raise RequestError(f'env value of {key!r} must be a string')
        # putenv() would reject these later, inside the child, where we can no longer refuse.
        if not key or '=' in key or '\0' in key or '\0' in item:
            raise RequestError(f'invalid env entry {key!r}')
        check_encodable(key, 'env key')
        check_encodable(item, f'env value of {key!r}')
    return dict(value)


def parse_files(value):
    if not isinstance(value, list):
        raise RequestError('files must be a list')
    for entry in value:
        if not (isinstance(entry, dict) and isinstance(entry.get('path'), str)
                and isinstance(entry.get('data'), str)):
            raise RequestError('each files entry must be {"path": string, "data": string}')
    return [(entry['path'], entry['data']) for entry in value]


def parse_pre_commands(value):
    """Shell lines run before the code (joined by ` && `): strings the shell can take as one argument."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RequestError('pre_commands must be a list of strings')
    for item in value:
        if '\0' in item:
            raise RequestError('pre_commands must not contain NUL')
        check_encodable(item, 'pre_commands')
    if len(PRE_COMMANDS_SEPARATOR.join(value).encode('utf-8')) > MAX_PRE_COMMANDS_BYTES:
        raise RequestError(f'pre_commands exceed {MAX_PRE_COMMANDS_BYTES} bytes joined')
    return list(value)


def parse_request(raw):
    """Validate field types and fill in defaults; unknown fields are ignored."""
    code = raw.get('code')
    if not isinstance(code, str):
        raise RequestError('code must be a string')
    interactive = raw.get('last_line_interactive', True)
    if not isinstance(interactive, bool):
        raise RequestError('last_line_interactive must be a boolean')
    evaluate = raw.get('eval_last_expression', False)
    if not isinstance(evaluate, bool):
        raise RequestError('eval_last_expression must be a boolean')
    entrypoint = raw.get('entrypoint')
    if entrypoint is not None and not isinstance(entrypoint, str):
        raise RequestError('entrypoint must be a string')
    request = {
        'code': code,
        'entrypoint': entrypoint,
        'last_line_interactive': interactive and not evaluate,  # the value is reported, not echoed
        'eval_last_expression': evaluate,
        'pre_commands': parse_pre_commands(raw.get('pre_commands', [])),
        'stdin': parse_stdin(raw.get('stdin')),
        'argv': parse_argv(raw.get('argv', [])),
        'env': parse_env(raw.get('env', {})),
        'files': parse_files(raw.get('files', [])),
    }
    for name, default in INT_FIELDS:
        value = raw.get(name, default)
        if not is_plain_int(value) or not 0 <= value <= MAX_INT_FIELD:
            raise RequestError(f'{name} must be an integer between 0 and {MAX_INT_FIELD}')
        request[name] = value
    return request


DEFAULT_INTERRUPT_GRACE_MS = 2000
MAX_INTERRUPT_GRACE_MS = 60_000


def parse_cell_request(raw):
    """A session's `execute` op: the request fields plus `interrupt_grace_ms`."""
    request = parse_request(raw)
    grace = raw.get('interrupt_grace_ms', DEFAULT_INTERRUPT_GRACE_MS)
    if not is_plain_int(grace) or not 0 <= grace <= MAX_INTERRUPT_GRACE_MS:
        raise RequestError(f'interrupt_grace_ms must be an integer between 0 and {MAX_INTERRUPT_GRACE_MS}')
    request['interrupt_grace_ms'] = grace
    return request
