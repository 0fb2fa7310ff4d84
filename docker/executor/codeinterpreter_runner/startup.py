"""What every sandbox does before its first request (PROTOCOL.md, "Boot"): matplotlib's config
directory and the preloaded modules."""

import os
import sys

MPLCONFIG_DEST = '/tmp/mplconfig'


def copy_tree(src, dest):
    """Minimal recursive copy (shutil is avoided to keep startup imports small)."""
    for dirpath, _dirnames, filenames in os.walk(src):
        target_dir = os.path.normpath(os.path.join(dest, os.path.relpath(dirpath, src)))
        os.makedirs(target_dir, exist_ok=True)
        for name in filenames:
            with open(os.path.join(dirpath, name), 'rb') as fin, \
                    open(os.path.join(target_dir, name), 'wb') as fout:
                fout.write(fin.read())


def prepare_mplconfig(src=None):
    """Give matplotlib a writable config dir pre-filled with the image's font cache."""
    if src is None:
        src = os.environ.get('RUNNER_MPLCONFIG_SRC', '/opt/mplconfig')
    try:
        if os.path.isdir(src):
            copy_tree(src, MPLCONFIG_DEST)
        else:
            os.makedirs(MPLCONFIG_DEST, exist_ok=True)
    except OSError as exc:
        print(f'runner: matplotlib config copy failed: {exc}', file=sys.stderr)
    os.environ['MPLCONFIGDIR'] = MPLCONFIG_DEST


def preload_spec():
    """SANDBOX_PRELOAD: comma separated names of the modules to import before the first request."""
    return os.environ.get('SANDBOX_PRELOAD', '')


def preload_modules(spec):
    """Import heavy modules before the request, so the code starts with them already loaded.

    One-shot mode: in the code's process, as the code's user; session mode: in the supervisor,
    before it forks the interpreter."""
    import importlib  # only needed here, and only when something is preloaded
    for name in (part.strip() for part in spec.split(',')):
        if not name:
            continue
        try:
            importlib.import_module(name)
        except (Exception, SystemExit) as exc:  # a broken preload must never stop the runner
            print(f'runner: preload of {name!r} skipped: {type(exc).__name__}: {exc}',
                  file=sys.stderr)
