"""What the code displays (PROTOCOL.md, "Display items"), on the code's side: `display(obj)` in
the builtins, the REPL echo of a trailing expression (sys.displayhook) and `plt.show()` (through
mpl/codeinterpreter_show.py) turn objects into Jupyter-style MIME bundles and write them, one ASCII
JSON line each, on the display pipe the runner relays as `d` frames.

Nothing here is trusted by the runner or the service: the code can write anything on that pipe.
Rich forms are computed only for objects of modules the code has already imported (pandas,
matplotlib, PIL), so displaying never imports them; a rich form that fails leaves text/plain.
"""

import builtins
import os
import sys

from .protocol import json_dumps, json_loads

MAX_TABLE_ROWS = 50                  # rows of a DataFrame/Series in text/html and application/json
MAX_TABLE_COLUMNS = 50
STUB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'ipython')
# IPython's rich display protocol: the methods an object may offer, and the MIME type of each.
REPR_METHODS = (
    ('_repr_html_', 'text/html'), ('_repr_markdown_', 'text/markdown'), ('_repr_svg_', 'image/svg+xml'),
    ('_repr_latex_', 'text/latex'), ('_repr_json_', 'application/json'), ('_repr_png_', 'image/png'),
    ('_repr_jpeg_', 'image/jpeg'),
)

_fd = None


def install(fd):
    """Route display items to `fd` (None: nowhere); `display` in the builtins, the REPL echo, IPython's stand-in."""
    global _fd
    _fd = fd
    builtins.display = display
    sys.displayhook = displayhook
    if os.path.isdir(STUB_DIR) and STUB_DIR not in sys.path:
        sys.path.append(STUB_DIR)  # last: a real IPython, if installed, wins


def display(*objs, raw=False, **_ignored):
    """IPython.display.display: one display item per object (`raw=True`: the objects are MIME bundles)."""
    for obj in objs:
        if raw and isinstance(obj, dict):
            emit('display_data', {str(key): value for key, value in obj.items()})
        else:
            emit('display_data', mime_bundle(obj))


def displayhook(value):
    """The REPL echo of a trailing expression (printed, `_` set), also sent as an `execute_result` item."""
    if value is None:
        return
    sys.__displayhook__(value)
    emit('execute_result', mime_bundle(value))


def emit_png(text, png):
    """A rendered image (plt.show()) as a display item."""
    emit('display_data', {'text/plain': text, 'image/png': base64(png)})


def emit(kind, bundle):
    if _fd is None:
        return
    try:
        data = (json_dumps({'type': kind, 'data': bundle}) + '\n').encode('ascii')
    except (TypeError, ValueError, RecursionError):
        data = (json_dumps({'type': kind, 'data': {'text/plain': str(bundle.get('text/plain', ''))}}) + '\n').encode('ascii')
    try:
        while data:
            data = data[os.write(_fd, data):]
    except OSError:
        pass  # the code closed the pipe: its items are its own business


def base64(data):
    import binascii  # a C module: cheap, and only when something is displayed
    return binascii.b2a_base64(bytes(data), newline=False).decode('ascii')


def mime_bundle(obj):
    """text/plain (repr) and the richest forms known for `obj`."""
    bundle = {'text/plain': repr(obj)}
    for rich in (pandas_forms, figure_forms, pil_forms, repr_method_forms):
        try:
            extra = rich(obj)
        except Exception:
            extra = None  # a broken rich form leaves the plain one
        if extra:
            bundle.update(extra)
            break
    return bundle


def pandas_forms(obj):
    pandas = sys.modules.get('pandas')
    if pandas is None or not isinstance(obj, (pandas.DataFrame, pandas.Series)):
        return None
    frame = obj.to_frame() if isinstance(obj, pandas.Series) else obj
    forms = {'text/html': frame.to_html(max_rows=MAX_TABLE_ROWS, max_cols=MAX_TABLE_COLUMNS)}
    try:
        head = frame.head(MAX_TABLE_ROWS)
        forms['application/json'] = {
            'columns': [str(column) for column in frame.columns],
            'records': json_loads(head.to_json(orient='records', date_format='iso', default_handler=str)),
            'total_rows': len(frame),
            'truncated': len(frame) > MAX_TABLE_ROWS,
        }
    except Exception:
        pass  # duplicate column names, exotic values: the table stays HTML only
    return forms


def figure_forms(obj):
    figure_module = sys.modules.get('matplotlib.figure')
    if figure_module is None or not isinstance(obj, figure_module.Figure):
        return None
    import io
    buffer = io.BytesIO()
    obj.savefig(buffer, format='png')
    return {'image/png': base64(buffer.getvalue())}


def pil_forms(obj):
    image_module = sys.modules.get('PIL.Image')
    if image_module is None or not isinstance(obj, image_module.Image):
        return None
    import io
    buffer = io.BytesIO()
    obj.save(buffer, format='PNG')
    return {'image/png': base64(buffer.getvalue())}


def repr_method_forms(obj):
    if isinstance(obj, type):
        return None  # a class's _repr_*_ are unbound functions
    forms = {}
    for method, mime in REPR_METHODS:
        render = getattr(obj, method, None)
        if render is None:
            continue
        try:
            value = render()
        except Exception:
            continue
        if isinstance(value, (bytes, bytearray)) and mime.startswith('image/'):
            forms[mime] = base64(value)
        elif isinstance(value, str) or mime == 'application/json' and isinstance(value, (dict, list)):
            forms[mime] = value
    return forms
