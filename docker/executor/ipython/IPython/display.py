"""IPython.display's `display` and a few of its wrapper objects, on the runner's display pipe."""

from codeinterpreter_runner.display import display

__all__ = ['HTML', 'Image', 'JSON', 'Markdown', 'display']


class _Shown:
    """An object shown as one MIME type (and text/plain)."""

    def __init__(self, data=None, filename=None):
        if data is None and filename is not None:
            with open(filename, 'rb' if self._binary else 'r') as source:
                data = source.read()
        self.data = data

    _binary = False

    def __repr__(self):
        return f'<IPython.core.display.{type(self).__name__} object>'


class HTML(_Shown):
    def _repr_html_(self):
        return self.data


class Markdown(_Shown):
    def _repr_markdown_(self):
        return self.data


class JSON(_Shown):
    def _repr_json_(self):
        return self.data


class Image(_Shown):
    """A PNG image (bytes, or a file); other formats are shown by their repr only."""

    _binary = True

    def _repr_png_(self):
        return self.data if isinstance(self.data, (bytes, bytearray)) else None
