"""In-sandbox runner of the code-execution service.

The wire protocol (boot sequence, request frame, runner frames, result JSON, exit codes) is
specified in PROTOCOL.md next to this file; this module implements version 1 of it.

Shape of one run:
  boot (matplotlib cache, preloads) -> fork the code's process (it waits) -> `R` -> read one
  request -> write input files -> snapshot the workspace -> `S` -> hand the request to the child
  -> relay the child's pipes as `o`/`e` frames -> child announces its exit status (or dies) ->
  kill its process group -> drain pipes (bounded) -> `f` frames -> `r`.

The runner only uses the standard library and keeps its own imports light: it is started once per
execution, so its startup CPU is paid on every request (modules only some requests need are
imported where they are used, in the runner itself, never in the code's child, whose sys.path
starts with the workspace).
"""

# Every import here is paid by every sandbox start (~1 CPU ms for each module pulled in), so the
# runner uses the C modules behind the usual ones where that avoids a chain of imports:
#  - _ast is what ast.py re-exports (ast.py would pull in contextlib);
#  - _json is the C codec json uses (json pulls in re, enum, functools, collections: ~8 CPU ms);
#  - select.poll instead of selectors (collections), _signal instead of signal (enum),
#    _thread instead of threading;
#  - linecache (tokenize, re) is only imported when a traceback is printed (register_source).
import _ast
import _json
import _signal
import _thread
import builtins
import gc
import io
import os
import posixpath
import resource
import select
import stat
import sys
import time

# --- Limits and names fixed by PROTOCOL.md or by the service's expectations -------------------
MAX_REQUEST_BYTES = 256 * 1024 * 1024
CHUNK_BYTES = 65536                  # max `o`/`e` payload, also the pipe read size
DRAIN_SECONDS = 0.2                  # grandchildren may hold the pipes open after the child exits
ERROR_PIPE_LIMIT = 64 * 1024         # the child's error report is untrusted; bound what we keep
ERROR_MESSAGE_CHARS = 4000           # keeps the child's report far below any pipe buffer size
MAX_SCAN_ENTRIES = 100_000
MAX_DIRECTORIES = 1000
MAX_DROPPED_LISTED = 1000            # keeps the `r` frame small whatever the code left behind
MAX_LIST_JSON_BYTES = 384 * 1024     # per list: `r` stays far below the service's frame bound
MAX_FAILURE_MESSAGE_CHARS = 4000     # `x` frames are bounded by the service as well
MAX_FRAME_PAYLOAD = 0xFFFFFFFF       # 4-byte length field
POLL_SECONDS = 0.1                   # exit check cadence when no pidfd wakes us up
POLL_SECONDS_NO_PIDFD = 0.02
CODE_FILENAME = '<code>'
SHOW_BACKEND = 'module://codeinterpreter_show'
MPLCONFIG_DEST = '/tmp/mplconfig'
EXIT_RUNNER_FAILED = 2
EXIT_CHILD_SETUP_FAILED = 70         # EX_SOFTWARE: the runner's own child-side setup broke

# Request fields with their defaults; `code` has no default (a request without code is a bug).
INT_FIELDS = (
    ('cpu_time_limit_sec', 5),
    ('max_output_bytes', 1_000_000),
    ('fsize_limit_bytes', 104_857_600),
    ('nofile_limit', 256),
    ('max_files', 100),
    ('max_files_bytes', 52_428_800),
)
MAX_INT_FIELD = 2 ** 62              # fits every rlim_t / size computation without overflow
# What the code's process needs of the request (stdin and files stay with the parent).
CHILD_FIELDS = ('code', 'entrypoint', 'last_line_interactive', 'argv', 'env',
                'cpu_time_limit_sec', 'fsize_limit_bytes', 'nofile_limit')


class RequestError(Exception):
    """The request (or something derived from it) is unusable: reported as an `x` frame."""


class FileRaced(Exception):
    """A workspace file changed between the scan and the read (hostile or stray process)."""


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


# --- Frames -----------------------------------------------------------------------------------

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


def open_protocol_stream():
    """Take fd 1 for the protocol and point fd 1 at stderr.

    Anything else that prints to fd 1 (a chatty preloaded module, the runner by mistake) would
    corrupt the frame stream; after this it lands on the container's stderr instead. The
    duplicate is close-on-exec and the child closes it, so the code never sees the protocol.
    """
    sys.stdout.flush()
    stream = os.fdopen(os.dup(1), 'wb')
    os.dup2(2, 1)
    return stream


# --- Boot -------------------------------------------------------------------------------------

def copy_tree(src, dest):
    """Minimal recursive copy (shutil is avoided to keep startup imports small)."""
    for dirpath, _dirnames, filenames in os.walk(src):
        target_dir = os.path.normpath(os.path.join(dest, os.path.relpath(dirpath, src)))
        os.makedirs(target_dir, exist_ok=True)
        for name in filenames:
            with open(os.path.join(dirpath, name), 'rb') as fin, \
                    open(os.path.join(target_dir, name), 'wb') as fout:
                fout.write(fin.read())


def prepare_mplconfig(src):
    """Give matplotlib a writable config dir pre-filled with the image's font cache."""
    try:
        if os.path.isdir(src):
            copy_tree(src, MPLCONFIG_DEST)
        else:
            os.makedirs(MPLCONFIG_DEST, exist_ok=True)
    except OSError as exc:
        print(f'runner: matplotlib config copy failed: {exc}', file=sys.stderr)
    os.environ['MPLCONFIGDIR'] = MPLCONFIG_DEST


def preload_modules(spec):
    """Import heavy modules before forking so every run starts with them already loaded."""
    import importlib  # only needed here, and only when something is preloaded
    for name in (part.strip() for part in spec.split(',')):
        if not name:
            continue
        try:
            importlib.import_module(name)
        except (Exception, SystemExit) as exc:  # a broken preload must never stop the runner
            print(f'runner: preload of {name!r} skipped: {type(exc).__name__}: {exc}',
                  file=sys.stderr)


# --- Request ----------------------------------------------------------------------------------

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


def read_frame_length(fd):
    """Read the 4-byte big-endian length that starts a frame on stdin."""
    header = read_exactly(fd, 4)
    if len(header) != 4:
        raise RequestError('truncated request frame header')
    return int.from_bytes(header, 'big')


def read_request(fd, length=None):
    """Read the single length-prefixed request frame (its length already read, if given) and
    return its decoded JSON object."""
    if length is None:
        length = read_frame_length(fd)
    if length > MAX_REQUEST_BYTES:
        raise RequestError(f'request frame too large: {length} bytes')
    payload = read_exactly(fd, length)
    if len(payload) != length:
        raise RequestError(f'truncated request frame: {len(payload)} of {length} bytes')
    try:
        request = json_loads(payload.decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RequestError(f'request is not valid UTF-8 JSON: {exc}') from None
    if not isinstance(request, dict):
        raise RequestError('request must be a JSON object')
    return request


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


def parse_request(raw):
    """Validate field types and fill in defaults; unknown fields are ignored."""
    code = raw.get('code')
    if not isinstance(code, str):
        raise RequestError('code must be a string')
    interactive = raw.get('last_line_interactive', True)
    if not isinstance(interactive, bool):
        raise RequestError('last_line_interactive must be a boolean')
    entrypoint = raw.get('entrypoint')
    if entrypoint is not None and not isinstance(entrypoint, str):
        raise RequestError('entrypoint must be a string')
    request = {
        'code': code,
        'entrypoint': entrypoint,
        'last_line_interactive': interactive,
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


# --- Workspace: inputs ------------------------------------------------------------------------

def input_file_target(workspace, path):
    """Absolute target of a request file, or RequestError if the path is not a safe one."""
    parts = path.split('/')
    if (not path or '\0' in path or path.startswith('/') or posixpath.normpath(path) != path
            or any(part in ('', '.', '..') for part in parts)):
        raise RequestError(f'invalid file path {path!r}')
    check_encodable(path, f'file path {path!r}')
    target = os.path.join(workspace, path)
    # The workspace may already contain symlinks; the resolved path must stay inside it.
    if not os.path.realpath(target).startswith(workspace + os.sep):
        raise RequestError(f'file path {path!r} escapes the workspace')
    return target


def write_input_files(workspace, files):
    if not files:
        return
    import base64  # only paid for by requests that bring files (every import is paid per sandbox)
    import binascii
    for path, data in files:
        target = input_file_target(workspace, path)
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(f'data of file {path!r} is not valid base64') from None
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with open(fd, 'wb') as out:
                out.write(content)
        except OSError as exc:
            raise RequestError(f'cannot write file {path!r}: {exc.strerror}') from None


# --- Workspace: scanning ----------------------------------------------------------------------

def scan_workspace(root):
    """Walk without following symlinks; return ({rel: size} of regular files, {rel dirs}, cut).

    Only lstat data is used, so symlinks, fifos, devices and sockets are never opened. The walk
    stops after MAX_SCAN_ENTRIES entries: the code may have created millions of them.
    """
    files, dirs = {}, set()
    pending = ['']
    seen = 0
    while pending:
        rel_dir = pending.pop()
        try:
            entries = os.scandir(os.path.join(root, rel_dir) if rel_dir else root)
        except OSError:
            continue
        with entries:
            for entry in entries:
                seen += 1
                if seen > MAX_SCAN_ENTRIES:
                    return files, dirs, True
                rel = f'{rel_dir}/{entry.name}' if rel_dir else entry.name
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    dirs.add(rel)
                    pending.append(rel)
                elif stat.S_ISREG(st.st_mode):
                    files[rel] = st.st_size
    return files, dirs, False


def open_regular(path, size):
    """Open a file the scan saw as regular, refusing anything that changed since (races)."""
    try:
        # O_NOFOLLOW: not a symlink swapped in; O_NONBLOCK: a swapped-in fifo cannot block us.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise FileRaced() from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_size != size:
        os.close(fd)
        raise FileRaced()
    return fd


def read_announced(fd, size):
    """Exactly `size` bytes (never more); a file that shrank or grew meanwhile is a race."""
    data = read_exactly(fd, size)
    if len(data) != size or os.fstat(fd).st_size != size:
        raise FileRaced()
    return data


def sha256(data=b''):
    """A SHA-256 hasher; hashlib (it loads OpenSSL) is imported only when a workspace has files."""
    import hashlib
    return hashlib.sha256(data)


def hash_fd(fd, size):
    digest = sha256()
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise FileRaced()
        digest.update(chunk)
        remaining -= len(chunk)
    return digest.digest()


def snapshot_workspace(root):
    """Record (size, sha256) of every input file, and the directories, before the code runs.

    "Changed" must mean "bytes differ": the code may rewrite inputs with identical content.
    """
    files, dirs, _cut = scan_workspace(root)
    digests = {}
    for rel, size in files.items():
        try:
            fd = open_regular(os.path.join(root, rel), size)
        except FileRaced:
            continue
        try:
            digests[rel] = (size, hash_fd(fd, size))
        except FileRaced:
            pass
        finally:
            os.close(fd)
    return digests, dirs


def examine_file(path, size, before, want_data):
    """Return (generated, data); data is read only when wanted and the file is generated."""
    changed_size = before is None or before[0] != size
    if changed_size and not want_data:
        return True, None  # generated for sure, and nothing to read: skip the open
    fd = open_regular(path, size)
    try:
        if changed_size:
            return True, read_announced(fd, size)
        if want_data:
            data = read_announced(fd, size)
            return sha256(data).digest() != before[1], data
        return hash_fd(fd, size) != before[1], None
    finally:
        os.close(fd)


def display_path(rel):
    """A JSON-safe rendering of a name that is not valid UTF-8."""
    return rel.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')


def is_utf8_name(rel):
    try:
        rel.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return True


def emit_generated_files(writer, root, snapshot, max_files, max_bytes):
    """Send generated files as `f` frames in path order; return (directories, files_dropped)."""
    before_files, before_dirs = snapshot
    files, dirs, cut = scan_workspace(root)
    dropped = []
    sent = sent_bytes = 0
    stopped = False  # once one file does not fit, the rest are dropped (PROTOCOL.md)
    for rel in sorted(files):
        size = files[rel]
        if not is_utf8_name(rel):
            dropped.append({'path': display_path(rel), 'reason': 'invalid file name'})
            continue
        header = json_dumps({'path': rel, 'size': size}).encode('ascii')
        fits = (sent < max_files and sent_bytes + size <= max_bytes
                and 4 + len(header) + size <= MAX_FRAME_PAYLOAD)
        try:
            generated, data = examine_file(os.path.join(root, rel), size,
                                           before_files.get(rel), fits and not stopped)
        except FileRaced:
            dropped.append({'path': rel, 'reason': 'changed while reading'})
            continue
        if not generated:
            continue
        if data is None:
            stopped = True
            reason = 'max files' if sent >= max_files else 'total size bound'
            dropped.append({'path': rel, 'reason': reason})
            continue
        writer.write(b'f', len(header).to_bytes(4, 'big'), header, data)
        sent += 1
        sent_bytes += size
    if cut:  # first, so that capping the list below can never hide it
        dropped.insert(0, {'path': '', 'reason': 'workspace too large to scan'})
    new_dirs = sorted(d for d in dirs - before_dirs if is_utf8_name(d))
    return (bounded_list(new_dirs, MAX_DIRECTORIES),
            bounded_list(dropped, MAX_DROPPED_LISTED))


def bounded_list(items, max_items):
    """The leading items, at most max_items and MAX_LIST_JSON_BYTES of JSON (paths can be long)."""
    kept, size = [], 0
    for item in items[:max_items]:
        size += len(json_dumps(item)) + 2
        if size > MAX_LIST_JSON_BYTES:
            break
        kept.append(item)
    return kept


# --- Child side -------------------------------------------------------------------------------

def set_limit(which, value):
    """soft = hard = value, clamped to the current hard limit (raising it needs privileges)."""
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and value > hard:
        value = hard
    try:
        resource.setrlimit(which, (value, value))
    except (OSError, ValueError) as exc:
        # e.g. RLIMIT_NOFILE above fs.nr_open: the hard limit is the best we can do.
        resource.setrlimit(which, (hard, hard))
        print(f'runner: limit {which} clamped to {hard}: {exc}', file=sys.stderr)


def apply_limits(request):
    set_limit(resource.RLIMIT_CORE, 0)
    set_limit(resource.RLIMIT_CPU, request['cpu_time_limit_sec'])
    set_limit(resource.RLIMIT_FSIZE, request['fsize_limit_bytes'])
    set_limit(resource.RLIMIT_NOFILE, request['nofile_limit'])


def text_stream(fd, writable):
    """A fresh sys.std* object over fd (the inherited ones may carry the runner's settings)."""
    if writable:
        raw = io.BufferedWriter(io.FileIO(fd, 'w', closefd=False))
        # Line buffering on both streams keeps stdout/stderr interleaving natural.
        return io.TextIOWrapper(raw, encoding='utf-8', errors='backslashreplace',
                                line_buffering=True)
    raw = io.BufferedReader(io.FileIO(fd, 'r', closefd=False))
    return io.TextIOWrapper(raw, encoding='utf-8')


def install_stdio():
    sys.stdin = sys.__stdin__ = text_stream(0, False)
    sys.stdout = sys.__stdout__ = text_stream(1, True)
    sys.stderr = sys.__stderr__ = text_stream(2, True)


def fresh_main_module():
    module = type(sys)('__main__')  # types.ModuleType
    module.__builtins__ = builtins
    sys.modules['__main__'] = module
    return module


def register_source(code):
    """Put the code's lines in linecache so tracebacks can show them.

    linecache is imported by whatever prints a traceback (the runner on an uncaught exception, or
    the code itself); until then a finder waits for that import and fills the entry in, so runs
    that print no traceback never pay for importing it.
    """
    # Same line splitting as the tokenizer (\n, \r\n, \r), unlike str.splitlines().
    text = code.replace('\r\n', '\n').replace('\r', '\n')
    lines = [line + '\n' for line in text.split('\n')]
    if text.endswith('\n'):
        lines.pop()
    # mtime None: linecache.checkcache() leaves the entry alone instead of dropping it.
    entry = (len(code), None, lines, CODE_FILENAME)
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, SourceRegistrar)]
    linecache = sys.modules.get('linecache')
    if linecache is not None:
        linecache.cache[CODE_FILENAME] = entry
    else:
        sys.meta_path.insert(0, SourceRegistrar(CODE_FILENAME, entry))


class SourceRegistrar:
    """Meta path finder: when linecache is first imported, adds one source entry to its cache."""

    def __init__(self, filename, entry):
        self.filename = filename
        self.entry = entry

    def find_spec(self, name, path=None, target=None):
        if name != 'linecache':
            return None
        sys.meta_path.remove(self)  # one shot; the other finders locate the real module
        for finder in sys.meta_path:
            find = getattr(finder, 'find_spec', None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None and spec.loader is not None:
                spec.loader = RegisteringLoader(spec.loader, self.filename, self.entry)
                return spec
        return None


class RegisteringLoader:
    """Wraps linecache's loader: runs the module, then adds the entry (everything else delegated)."""

    def __init__(self, loader, filename, entry):
        self._loader = loader
        self._filename = filename
        self._entry = entry

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        cache = getattr(module, 'cache', None)  # a workspace linecache.py may shadow the real one
        if isinstance(cache, dict):
            cache[self._filename] = self._entry

    def __getattr__(self, name):
        return getattr(self._loader, name)


def future_flags(code_object):
    """Compiler flags of the `from __future__` imports in effect in a compiled module."""
    import __future__
    flags = 0
    for name in __future__.all_feature_names:
        flag = getattr(__future__, name).compiler_flag
        if code_object.co_flags & flag:
            flags |= flag
    return flags


def compile_code(code, interactive):
    """Compile everything before running anything, like the interpreter does for a script."""
    tree = compile(code, CODE_FILENAME, 'exec', _ast.PyCF_ONLY_AST, dont_inherit=True)  # = ast.parse
    if not (interactive and tree.body and isinstance(tree.body[-1], _ast.Expr)):
        return [compile(tree, CODE_FILENAME, 'exec', dont_inherit=True)]
    body = _ast.Module(body=tree.body[:-1], type_ignores=[])
    head = compile(body, CODE_FILENAME, 'exec', dont_inherit=True)
    # 'single' mode makes the trailing expression go through sys.displayhook (None: silent).
    tail = compile(_ast.Interactive(body=[tree.body[-1]]), CODE_FILENAME, 'single',
                   flags=future_flags(head), dont_inherit=True)
    return [head, tail]


def run_code(code, interactive, namespace):
    """Run the user's code; return the exception that ended it, or None."""
    try:
        for code_object in compile_code(code, interactive):
            exec(code_object, namespace)
    except BaseException as exc:  # everything the code raises is its result, not our failure
        return exc
    return None


def user_traceback(exc):
    """The traceback starting at the first `<code>` frame (runner frames dropped)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != CODE_FILENAME:
        tb = tb.tb_next
    return tb


def error_line(exc):
    if isinstance(exc, SyntaxError) and exc.filename == CODE_FILENAME:
        return exc.lineno
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == CODE_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def safe_str(obj):
    try:
        return str(obj)
    except BaseException:
        return '<exception str() failed>'


def print_uncaught(exc):
    tb = user_traceback(exc)
    try:
        if sys.excepthook is not sys.__excepthook__:
            sys.excepthook(type(exc), exc, tb)  # the code installed its own hook: honour it
            return
    except BaseException:
        pass
    import traceback  # only paid for when there is something to print
    try:
        # The C default hook of 3.11 reads source from disk, not linecache: use the module.
        traceback.print_exception(type(exc), exc, tb, file=sys.stderr)
    except BaseException:
        pass


def exit_status(exc):
    """The process exit status and the error report for how the code ended."""
    if exc is None:
        return 0, None
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None:
            return 0, None
        if isinstance(code, int):
            return code & 0xFF, None
        try:
            print(code, file=sys.stderr)  # sys.exit("msg") semantics
        except BaseException:
            pass
        return 1, None
    print_uncaught(exc)
    report = {'type': type(exc).__name__[:200],
              'message': safe_str(exc)[:ERROR_MESSAGE_CHARS],
              'line': error_line(exc)}
    return 1, report


def report_error(fd, report):
    if report is None:
        return
    try:
        data = (json_dumps(report) + '\n').encode('ascii')
        while data:
            data = data[os.write(fd, data):]
    except BaseException:
        pass  # the code may have closed the fd; the result then just has no error


def flush_open_files():
    """Flush every live text/buffered file before the garbage collector may free it.

    When gc frees a cycle holding a TextIOWrapper, its BufferedWriter can be finalized first
    and the text still pending in the wrapper is lost (bpo-17852); flushing first avoids it.
    """
    for obj in gc.get_objects():  # objects frozen before the fork are not listed
        if isinstance(obj, (io.TextIOWrapper, io.BufferedWriter, io.BufferedRandom)):
            try:
                obj.flush()
            except BaseException:
                pass  # closed, or a write error the code would not have seen either


def release_frames(exc):
    """Clear the locals of the frames an exception holds (files among them close in order)."""
    import traceback
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__context__


def interpreter_shutdown(namespace):
    """What a normal interpreter exit does before dying, since we leave with os._exit().

    Join non-daemon threads, run atexit hooks, then drop __main__'s globals so that objects
    like `f = open('out.txt', 'w')` that were never closed get flushed to the workspace.
    """
    try:
        if 'threading' in sys.modules:
            sys.modules['threading']._shutdown()
    except BaseException:
        pass
    try:
        import atexit
        atexit._run_exitfuncs()
    except BaseException:
        pass
    try:
        namespace.clear()
        builtins.__dict__.pop('_', None)  # the displayhook's last value
        flush_open_files()
        gc.collect()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:
            pass


def child_setup(request, workspace, fds):
    """Everything between the hand-over and the code: limits, stdio, cwd, env, argv, __main__."""
    apply_limits(request)  # before dup2, so a clamp warning goes to the container's stderr
    os.dup2(fds['stdin_r'], 0)
    os.dup2(fds['stdout_w'], 1)
    os.dup2(fds['stderr_w'], 2)
    for name in ('protocol', 'stdin_r', 'stdin_w', 'stdout_r', 'stdout_w', 'stderr_r',
                 'stderr_w', 'error_r'):
        # Above all the protocol fd: the code must not be able to write frames.
        if fds[name] > 2:
            os.close(fds[name])
    install_stdio()
    os.chdir(workspace)
    show_figures_as_files()
    os.environ.update(request['env'])
    module = fresh_main_module()
    if request['entrypoint'] is None:
        sys.argv = [CODE_FILENAME] + request['argv']
        sys.path[:1] = [workspace]  # the script's dir (/opt/runner) -> the workspace
    else:
        use_entrypoint(request, workspace, module)
    register_source(request['code'])
    return module


def show_figures_as_files():
    """Make `plt.show()` save figures into the workspace (see mpl/codeinterpreter_show.py)."""
    backend_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mpl')
    if not os.path.isdir(backend_dir):
        return
    sys.path.append(backend_dir)
    os.environ['MPLBACKEND'] = SHOW_BACKEND
    pyplot = sys.modules.get('matplotlib.pyplot')
    if pyplot is not None:  # preloaded: its backend was chosen at import
        try:
            pyplot.switch_backend(SHOW_BACKEND)
        except Exception as exc:  # a broken backend must not stop the code; figures just stay unsaved
            os.write(2, f'runner: cannot install the figure backend: {exc!r}\n'.encode())


def use_entrypoint(request, workspace, module):
    """Run a project file as the script: its source, its name in tracebacks, its folder on sys.path."""
    global CODE_FILENAME  # this forked child runs exactly one script; tracebacks must name it
    path = input_file_target(workspace, request['entrypoint'])
    with open(path, encoding='utf-8') as source:
        request['code'] = source.read()
    request['last_line_interactive'] = False  # a script is not a REPL session
    CODE_FILENAME = path
    module.__file__ = path
    sys.argv = [path] + request['argv']
    sys.path[:1] = [os.path.dirname(path)]


def finish_run(request, namespace, error_fd):
    """Run the code and report how it ended; return the exit status."""
    pid = os.getpid()
    exc = run_code(request['code'], request['last_line_interactive'], namespace)
    status, report = exit_status(exc)
    # A process forked by the code that falls through to here must not report for us.
    if os.getpid() == pid:
        report_error(error_fd, report)
    if exc is not None:
        release_frames(exc)
    return status


def child_main(fds):
    """Body of the forked child. Never returns: every path ends in os._exit().

    Forked before the request exists (see spawn_child), it waits on the hand-over pipe first.
    """
    status = EXIT_CHILD_SETUP_FAILED
    me = os.getpid()
    try:
        os.setsid()  # own process group: the parent kills it as a whole afterwards
        os.close(fds['go_w'])  # or the hand-over pipe would never reach its end for us
        os.close(fds['done_r'])
        handover = receive_handover(fds['go_r'])
        if handover is None:  # the parent did not need us after all
            os._exit(0)
        request, workspace = handover
        namespace = child_setup(request, workspace, fds).__dict__
        status = finish_run(request, namespace, fds['error_w'])
        interpreter_shutdown(namespace)
    except BaseException as exc:
        try:
            os.write(2, f'runner: child failed: {exc!r}\n'.encode('utf-8', 'replace'))
        except BaseException:
            pass
    finally:
        # A process forked by the code that falls through to here must not speak for us.
        if os.getpid() == me:
            announce_exit(fds['done_w'], fds['error_w'], status)
        os._exit(status)


def receive_handover(fd):
    """The request and workspace the parent writes once they exist; None if it closes without."""
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    if not chunks:
        return None
    message = json_loads(b''.join(chunks).decode('utf-8'))
    return message['request'], message['workspace']


def announce_exit(done_fd, error_fd, status):
    """Close our ends of the output pipes, then tell the parent the exit status.

    The parent then need not wait for the kernel to tear this process down (a few ms for an
    interpreter with pandas in it, since the pipes only close after the memory is unmapped).
    The code could write to this fd too: that says no more than os._exit() would.
    """
    for fd in (0, 1, 2, error_fd):
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        os.write(done_fd, bytes([status & 0xFF]))
    except OSError:
        pass


# --- Parent side ------------------------------------------------------------------------------

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


class BoundedSink:
    """Keeps at most `limit` bytes of the (untrusted) child error pipe, discards the rest."""

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


def reap_if_exited(pid):
    """Return the wait status once the child has exited, after killing its process group.

    WNOWAIT leaves the child a zombie while we kill the group, so its pid (= pgid) cannot be
    reused by an unrelated process in between.
    """
    if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        return None
    kill_group(pid)
    return os.waitpid(pid, 0)[1]


def open_pidfd(pid):
    """A fd that becomes readable when the child exits, so we need not poll; None if absent."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class Supervisor:
    """The parent's event loop: relay output, feed stdin, notice the exit, drain, clean up."""

    def __init__(self, writer, pid, fds, stdin_data, max_output):
        self.pid = pid
        self.poller = select.poll()
        self.stdout = StreamRelay(writer, b'o', max_output)
        self.stderr = StreamRelay(writer, b'e', max_output)
        self.error = BoundedSink(ERROR_PIPE_LIMIT)
        self.readers = {fds['stdout_r']: self.stdout, fds['stderr_r']: self.stderr,
                        fds['error_r']: self.error}
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


def parse_error_report(data):
    """The child's report, if it is exactly what the child writes; anything else is dropped."""
    try:
        report = json_loads(bytes(data).split(b'\n', 1)[0].decode('ascii'))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(report, dict):
        return None
    kind, message, line = report.get('type'), report.get('message'), report.get('line')
    if not (isinstance(kind, str) and isinstance(message, str)
            and (line is None or (is_plain_int(line) and 0 <= line < 2 ** 31))):
        return None
    return {'type': clean_text(kind), 'message': clean_text(message), 'line': line}


def clean_text(text):
    """Lone surrogates (legal in Python/JSON escapes) are rejected by strict JSON readers."""
    return text.encode('utf-8', 'backslashreplace').decode('utf-8')


def decode_wait_status(status):
    """(exit_code, signal): 128 + n and n when the child was killed by signal n."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        return 128 + signum, signum
    return os.WEXITSTATUS(status), None


def read_oom_kills():
    """OOM kills of the container's memory cgroup (v1, then v2); 0 if unreadable."""
    for path in ('/sys/fs/cgroup/memory/memory.oom_control', '/sys/fs/cgroup/memory.events'):
        try:
            with open(path) as source:
                for line in source:
                    fields = line.split()
                    if len(fields) == 2 and fields[0] == 'oom_kill':
                        return int(fields[1])
        except (OSError, ValueError):
            continue
    return 0


def make_pipes(protocol_fd):
    fds = {'protocol': protocol_fd}
    fds['stdin_r'], fds['stdin_w'] = os.pipe()
    fds['stdout_r'], fds['stdout_w'] = os.pipe()
    fds['stderr_r'], fds['stderr_w'] = os.pipe()
    fds['error_r'], fds['error_w'] = os.pipe()
    fds['go_r'], fds['go_w'] = os.pipe()      # parent -> child: the request, once it exists
    fds['done_r'], fds['done_w'] = os.pipe()  # child -> parent: the exit status, just before exiting
    return fds


def close_child_ends(fds):
    for name in ('stdin_r', 'stdout_w', 'stderr_w', 'error_w', 'go_r', 'done_w'):
        os.close(fds[name])


def spawn_child(protocol_fd):
    """Fork the code's process; it waits for its request on the hand-over pipe.

    A pooled sandbox does this while it waits for its request, so the fork (a few ms with pandas
    imported) is not on the request's path.
    """
    fds = make_pipes(protocol_fd)
    # Buffered runner output must not be inherited (and written twice) by the child.
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything alive now (preloaded libraries) is moved out of the collector's reach: the
    # child's collections and exit-time sweep stay cheap, and untouched pages stay shared.
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        child_main(fds)  # never returns
    close_child_ends(fds)
    return pid, fds


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
    for name in ('stdin_w', 'stdout_r', 'stderr_r', 'error_r', 'done_r'):
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


def execute(writer, request, workspace, snapshot, protocol_fd, spawned):
    """Run the code, relay its output, send the generated files; return the result object."""
    pid, fds = start_child(writer, request, workspace, protocol_fd, spawned)
    supervisor = None
    status = None
    try:
        supervisor = Supervisor(writer, pid, fds, request['stdin'], request['max_output_bytes'])
        status = supervisor.run()
    finally:
        if supervisor is not None:
            supervisor.close()
        if status is None:  # the runner itself failed mid-run: leave nothing behind
            kill_group(pid)
            os.waitpid(pid, 0)
    exit_code, signum = decode_wait_status(status)
    oom_kills = read_oom_kills()
    directories, dropped = emit_generated_files(writer, workspace, snapshot,
                                                request['max_files'], request['max_files_bytes'])
    return {
        'exit_code': exit_code,
        'signal': signum,
        'oom_kills': oom_kills,
        'stdout_bytes': supervisor.stdout.total,
        'stderr_bytes': supervisor.stderr.total,
        'error': parse_error_report(supervisor.error.data),
        'directories': directories,
        'files_dropped': dropped,
    }


def prepare_workspace(request):
    workspace = os.path.realpath(os.environ.get('RUNNER_WORKSPACE', '/workspace'))
    try:
        os.makedirs(workspace, exist_ok=True)
    except OSError as exc:
        raise RequestError(f'workspace unusable: {exc}') from None
    write_input_files(workspace, request['files'])
    return workspace


def serve(writer, protocol_fd):
    """One execution from boot to result."""
    prepare_mplconfig(os.environ.get('RUNNER_MPLCONFIG_SRC', '/opt/mplconfig'))
    preloads = os.environ.get('SANDBOX_PRELOAD', '')
    length = None
    if preloads.strip():
        # Booted: the service either sends the request now (it is needed at once, so the
        # preloads are skipped) or an empty frame meaning "import the preloads, then wait".
        writer.write(b'B')
        length = read_frame_length(0)
        if length == 0:
            preload_modules(preloads)
            length = None
    spawned = None
    if length is None:
        # Nobody waits yet: fork the code's process now, off the request's path.
        spawned = spawn_child(protocol_fd)
        writer.write(b'R')
    request = parse_request(read_request(0, length))
    workspace = prepare_workspace(request)
    snapshot = snapshot_workspace(workspace)
    return execute(writer, request, workspace, snapshot, protocol_fd, spawned)


def main():
    if os.environ.get('RUNNER_MODE') == 'session':  # persistent interpreter: session.py, PROTOCOL.md
        import session
        session.main()  # never returns
    stream = open_protocol_stream()
    writer = FrameWriter(stream)
    try:
        result = serve(writer, stream.fileno())
        writer.write_json(b'r', result)
        status = 0
    except BrokenPipeError:
        status = EXIT_RUNNER_FAILED  # the service is gone; nobody to report to
    except RequestError as exc:
        status = report_failure(writer, str(exc))
    except Exception as exc:  # never die silently: the service waits for `r` or `x`
        status = report_failure(writer, f'runner failure: {type(exc).__name__}: {exc}')
    try:
        sys.stderr.flush()
    finally:
        # os._exit: interpreter teardown of preloaded libraries (thread pools...) must not hang.
        os._exit(status)


def report_failure(writer, message):
    try:
        writer.write_json(b'x', {'message': clean_text(message[:MAX_FAILURE_MESSAGE_CHARS])})
    except OSError:
        pass
    return EXIT_RUNNER_FAILED


if __name__ == '__main__':
    main()
