"""Matplotlib backend of the sandbox: Agg rendering, and `plt.show()` saves every open figure.

An agent's code usually ends with `plt.show()`; in a sandbox there is no screen, so each figure is
written to the workspace as figure_<n>.png (the first free numbers) and closed. The runner returns
new workspace files, so the images reach the caller without the code having to save them.
"""
import os

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

    number = 1
    for figure_number in plt.get_fignums():
        number, name = _free_name(number)
        plt.figure(figure_number).savefig(name)
        number += 1
    plt.close('all')
