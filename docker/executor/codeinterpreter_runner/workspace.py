"""The workspace: input files written before the code runs, generated files sent after it.

PROTOCOL.md, "Result": generated files are regular files (never symlinks, devices, fifos; symlinked
directories are not followed) that are new or whose bytes differ from the snapshot taken before
the run. Whatever the code left behind is hostile: every read is bounded and checked for races.
"""

import os
import posixpath
import stat

from .protocol import MAX_FRAME_PAYLOAD, RequestError, check_encodable, json_dumps, read_exactly

MAX_SCAN_ENTRIES = 100_000
MAX_DIRECTORIES = 1000
MAX_DROPPED_LISTED = 1000            # keeps the `r` frame small whatever the code left behind
MAX_LIST_JSON_BYTES = 384 * 1024     # per list: `r` stays far below the service's frame bound


class FileRaced(Exception):
    """A workspace file changed between the scan and the read (hostile or stray process)."""


def create_workspace():
    """The workspace directory (RUNNER_WORKSPACE, default /workspace), resolved and created."""
    workspace = os.path.realpath(os.environ.get('RUNNER_WORKSPACE', '/workspace'))
    os.makedirs(workspace, exist_ok=True)
    return workspace


# --- Inputs -----------------------------------------------------------------------------------

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


# --- Scanning ---------------------------------------------------------------------------------

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


# --- Generated files --------------------------------------------------------------------------

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
