"""A stand-in for IPython in the sandbox (the real one is not installed): only `IPython.display`.

The runner appends this folder to the end of sys.path, so an installed IPython would win.
"""

from IPython.display import display

__all__ = ['display']
