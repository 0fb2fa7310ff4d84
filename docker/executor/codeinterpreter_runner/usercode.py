"""Running the user's code in this process: the one-shot program's child and the session's
interpreter both do it.

The code runs as `__main__` under a display filename (`<code>`, `<cell-N>`, or an entrypoint's
path): compiled from the source, its lines registered with linecache, and its tracebacks cut to
start at its first frame, so they never show a runner frame. The runner's imports stay light
(_ast is what ast.py re-exports, and ast.py would pull in contextlib); linecache (tokenize, re)
and traceback are only imported when something needs them.
"""

import _ast
import builtins
import gc
import io
import os
import sys

from .protocol import MAX_EXPRESSION_VALUE_BYTES

CODE_FILENAME = '<code>'
ERROR_MESSAGE_CHARS = 4000           # keeps the child's report far below any pipe buffer size
SHOW_BACKEND = 'module://codeinterpreter_show'


# --- The process around the code --------------------------------------------------------------

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


def show_figures_as_files():
    """Make `plt.show()` save figures into the workspace (see mpl/codeinterpreter_show.py)."""
    runner_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    backend_dir = os.path.join(runner_dir, 'mpl')
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


# --- Source lines for tracebacks --------------------------------------------------------------

def register_source(code, filename):
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
    entry = (len(code), None, lines, filename)
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, SourceRegistrar)]
    linecache = sys.modules.get('linecache')
    if linecache is not None:
        linecache.cache[filename] = entry
    else:
        sys.meta_path.insert(0, SourceRegistrar(filename, entry))


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


# --- Compiling and running --------------------------------------------------------------------

def future_flags(code_object):
    """Compiler flags of the `from __future__` imports in effect in a compiled module."""
    import __future__
    flags = 0
    for name in __future__.all_feature_names:
        flag = getattr(__future__, name).compiler_flag
        if code_object.co_flags & flag:
            flags |= flag
    return flags


def compile_code(code, filename, tail_mode=None):
    """Compile everything before running anything, like the interpreter does for a script.

    Returns (head, tail): with a `tail_mode` and a trailing expression statement, head is the
    module without it and tail that expression compiled in `tail_mode` ('single' sends its value
    through sys.displayhook like a REPL; 'eval' gives the value back); otherwise head is the whole
    module and tail None. Both keep the code's line numbers.
    """
    tree = compile(code, filename, 'exec', _ast.PyCF_ONLY_AST, dont_inherit=True)  # = ast.parse
    if tail_mode is None or not (tree.body and isinstance(tree.body[-1], _ast.Expr)):
        return compile(tree, filename, 'exec', dont_inherit=True), None
    body = _ast.Module(body=tree.body[:-1], type_ignores=tree.type_ignores)
    head = compile(body, filename, 'exec', dont_inherit=True)
    last = tree.body[-1]
    node = _ast.Interactive(body=[last]) if tail_mode == 'single' else _ast.Expression(body=last.value)
    tail = compile(node, filename, tail_mode, flags=future_flags(head), dont_inherit=True)
    return head, tail


def run_code(code, interactive, namespace, filename):
    """Run the user's code; return the exception that ended it, or None."""
    try:
        head, tail = compile_code(code, filename, 'single' if interactive else None)
        exec(head, namespace)
        if tail is not None:
            exec(tail, namespace)  # None (silent) is displayhook's business
    except BaseException as exc:  # everything the code raises is its result, not our failure
        return exc
    return None


def evaluate_code(code, namespace, filename):
    """Run the user's code and evaluate its trailing expression statement, if any.

    Returns (the exception that ended the run or None, repr() of that expression's value or None).
    The value is None when there is no trailing expression, it evaluates to None, or the run (or
    repr() itself, which counts as the code's error) raised.
    """
    try:
        head, tail = compile_code(code, filename, 'eval')
        exec(head, namespace)
        if tail is None:
            return None, None
        value = eval(tail, namespace)
        if value is None:
            return None, None
        text = repr(value)
        return None, str.__str__(text)  # an exact str, whatever subclass __repr__ returned
    except BaseException as exc:
        return exc, None


def bounded_value(text):
    """The reported form of a value's repr: valid UTF-8, at most MAX_EXPRESSION_VALUE_BYTES."""
    data = text.encode('utf-8', 'backslashreplace')[:MAX_EXPRESSION_VALUE_BYTES]
    return data.decode('utf-8', 'ignore')  # a character cut in two is dropped


# --- How the code ended -----------------------------------------------------------------------

def user_traceback(exc, filename):
    """The traceback starting at the code's first frame (runner frames dropped)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return tb


def error_line(exc, filename):
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        return exc.lineno
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def safe_str(obj):
    try:
        return str(obj)
    except BaseException:
        return '<exception str() failed>'


def print_uncaught(exc, filename):
    tb = user_traceback(exc, filename)
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


def exit_status(exc, filename):
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
    print_uncaught(exc, filename)
    report = {'type': type(exc).__name__[:200],
              'message': safe_str(exc)[:ERROR_MESSAGE_CHARS],
              'line': error_line(exc, filename)}
    return 1, report


# --- After the code ---------------------------------------------------------------------------

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
