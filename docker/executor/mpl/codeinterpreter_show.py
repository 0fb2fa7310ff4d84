"""Matplotlib backend of the sandbox: Agg rendering, and `plt.show()` saves every open figure.

An agent's code usually ends with `plt.show()`; in a sandbox there is no screen, so each figure is
written to the workspace as figure_<n>.png (the first free numbers) and closed. The runner returns
new workspace files, so the images reach the caller without the code having to save them; each
figure is also a display item (image/png) of the result's `outputs`.
"""
import io
import os
import sys

from matplotlib.backends.backend_agg import FigureCanvasAgg, FigureManagerBase

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase


def _free_name(taken_from):
    number = taken_from
    while os.path.lexists(f'figure_{number}.png'):
        number += 1
    return number, f'figure_{number}.png'


def show(*args, **kwargs):
    import matplotlib.pyplot as plt

    # The runner's display module, when the runner runs this process (it is imported by then).
    shown = sys.modules.get('codeinterpreter_runner.display')
    number = 1
    for figure_number in plt.get_fignums():
        number, name = _free_name(number)
        figure = plt.figure(figure_number)
        buffer = io.BytesIO()
        figure.savefig(buffer, format='png')
        with open(name, 'wb') as target:
            target.write(buffer.getvalue())
        if shown is not None:
            shown.emit_png(repr(figure), buffer.getvalue())
        number += 1
    plt.close('all')
