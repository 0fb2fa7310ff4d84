"""The forked process of a one-shot program (PROTOCOL.md, "Execution of the code").

Forked before the request exists (program.spawn_child), it drops to the code's user, imports the
preloads (SANDBOX_PRELOAD) when the runner asks for them, waits on the hand-over pipe, then applies
the limits, puts the pipes on stdin/stdout/stderr, closes the protocol descriptor, runs the
code and announces its exit status just before it exits.
"""

import builtins
import gc
import os
import sys

from .display import install as install_display
from .identity import become_code_user
from .limits import apply_program_limits, set_dumpable
from .protocol import PRE_COMMANDS_SEPARATOR, json_dumps, json_loads
from .relay import decode_wait_status
from .startup import preload_modules
from .usercode import (
    CODE_FILENAME, bounded_value, evaluate_code, exit_status, flush_open_files, fresh_main_module,
    install_stdio, register_source, release_frames, run_code, show_figures_as_files,
)
from .workspace import input_file_target

EXIT_CHILD_SETUP_FAILED = 70         # EX_SOFTWARE: the runner's own child-side setup broke
EXIT_SHELL_NOT_STARTED = 127         # what a shell answers for a command it cannot run
SHELL = '/bin/sh'
# The descriptors the child closes once its stdio is in place (program.make_pipes names them).
CLOSED_AFTER_SETUP = ('protocol', 'stdin_r', 'stdin_w', 'stdout_r', 'stdout_w', 'stderr_r',
                      'stderr_w', 'error_r', 'display_r')


def child_main(fds, preloads):
    """Body of the forked child. Never returns: every path ends in os._exit()."""
    status = EXIT_CHILD_SETUP_FAILED
    me = os.getpid()
    try:
        become_code_user()  # first: nothing of the code's runs with the runner's identity
        set_dumpable(True)  # the runner is not: its /proc/1/fd stays closed to the code
        os.setsid()  # own process group: the parent kills it as a whole afterwards
        os.close(fds['go_w'])  # or the hand-over pipe would never reach its end for us
        os.close(fds['done_r'])
        os.close(fds['ready_r'])
        if preloads.strip():
            preload_modules(preloads)
            gc.freeze()  # the code's collections and exit-time sweep need not walk the preloads
        os.close(fds['ready_w'])  # the runner may now say it is ready
        handover = receive_handover(fds['go_r'])
        if handover is None:  # the parent did not need us after all
            os._exit(0)
        request, workspace = handover
        prepare_process(request, workspace, fds)
        failed = run_pre_commands(request['pre_commands'])
        if failed:
            status = failed
        else:
            module, filename = prepare_main(request, workspace, fds['display_w'])
            namespace = module.__dict__
            status = finish_run(request, namespace, filename, fds['error_w'])
            interpreter_shutdown(namespace)
    except BaseException as exc:
        try:
            os.write(2, f'runner: child failed: {exc!r}\n'.encode('utf-8', 'replace'))
        except BaseException:
            pass
    finally:
        # A process forked by the code that falls through to here must not speak for us.
        if os.getpid() == me:
            announce_exit(fds['done_w'], (fds['error_w'], fds['display_w']), status)
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


def prepare_process(request, workspace, fds):
    """What the pre-commands share with the code: limits, stdio, cwd, env."""
    apply_program_limits(request)  # before dup2, so a clamp warning goes to the container's stderr
    os.dup2(fds['stdin_r'], 0)
    os.dup2(fds['stdout_w'], 1)
    os.dup2(fds['stderr_w'], 2)
    for name in CLOSED_AFTER_SETUP:
        # Above all the protocol fd: the code must not be able to write frames.
        if fds[name] > 2:
            os.close(fds[name])
    install_stdio()
    os.chdir(workspace)
    os.environ.update(request['env'])


def prepare_main(request, workspace, display_fd):
    """The rest of the way to the code: figures as files, display items, argv, sys.path, `__main__`.

    Returns the code's `__main__` module and the filename its tracebacks show.
    """
    show_figures_as_files()
    install_display(display_fd)
    module = fresh_main_module()
    if request['entrypoint'] is None:
        filename = CODE_FILENAME
        sys.argv = [CODE_FILENAME] + request['argv']
        sys.path[:1] = [workspace]  # the script's dir (/opt/runner) -> the workspace
    else:
        filename = use_entrypoint(request, workspace, module)
    code = request['code']
    # Tracebacks of a script in another encoding show its lines as latin-1 (any bytes decode).
    register_source(code if isinstance(code, str) else code.decode('latin-1'), filename)
    return module, filename


def run_pre_commands(commands):
    """Run the request's shell lines, joined by ` && `, in this process's place; 0 when they succeed.

    They run as a child of this process, so under its limits, in its process group (killed with
    it), in the workspace with the request's env, writing to the code's stdout and stderr; their
    stdin is /dev/null (the request's stdin is the code's). Otherwise the status the run ends with:
    the shell's exit code, 128 + n when it was killed by signal n, 127 when it could not start.
    Before the entrypoint is read, so the commands may write it.
    """
    if not commands:
        return 0
    import signal  # only for requests with pre-commands: the warm path imports nothing more
    try:
        pid = os.posix_spawn(
            SHELL, [SHELL, '-c', PRE_COMMANDS_SEPARATOR.join(commands)], os.environ,
            file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)],
            # Python ignores these; an ignored signal stays ignored across exec.
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
    except OSError as exc:
        os.write(2, f'runner: cannot run the pre-commands: {exc}\n'.encode('utf-8', 'replace'))
        return EXIT_SHELL_NOT_STARTED
    status = os.waitpid(pid, 0)[1]
    return decode_wait_status(status)[0]


def use_entrypoint(request, workspace, module):
    """Run a project file as the script: its source, its name in tracebacks, its folder on sys.path.

    Returns that name (the file's path).
    """
    path = input_file_target(workspace, request['entrypoint'])
    with open(path, 'rb') as source:
        data = source.read()
    try:
        # utf-8-sig: a leading BOM is dropped, as the interpreter does for a script file.
        request['code'] = data.decode('utf-8-sig')
    except UnicodeDecodeError:
        # compile() then decodes the bytes by their coding cookie, or raises the SyntaxError the
        # interpreter gives for such a script (the code's error, not the runner's).
        request['code'] = data
    request['last_line_interactive'] = False  # a script is not a REPL session
    module.__file__ = path
    sys.argv = [path] + request['argv']
    sys.path[:1] = [os.path.dirname(path)]
    return path


def finish_run(request, namespace, filename, error_fd):
    """Run the code and report how it ended; return the exit status."""
    pid = os.getpid()
    value = None
    if request['eval_last_expression']:
        exc, value = evaluate_code(request['code'], namespace, filename)
    else:
        exc = run_code(request['code'], request['last_line_interactive'], namespace, filename)
    status, report = exit_status(exc, filename)
    # A process forked by the code that falls through to here must not report for us.
    if os.getpid() == pid:
        if value is not None:
            report = {'value': bounded_value(value)}  # the run raised nothing: no error report
        report_error(error_fd, report)
    if exc is not None:
        release_frames(exc)
    return status


def report_error(fd, report):
    """One JSON line on the report pipe: the error report, or the trailing expression's value."""
    if report is None:
        return
    try:
        data = (json_dumps(report) + '\n').encode('ascii')
        while data:
            data = data[os.write(fd, data):]
    except BaseException:
        pass  # the code may have closed the fd; the result then just has no error


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


def announce_exit(done_fd, report_fds, status):
    """Close our ends of the output pipes, then tell the parent the exit status.

    The parent then need not wait for the kernel to tear this process down (a few ms for an
    interpreter with pandas in it, since the pipes only close after the memory is unmapped).
    The code could write to this fd too: that says no more than os._exit() would.
    """
    for fd in (0, 1, 2, *report_fds):
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        os.write(done_fd, bytes([status & 0xFF]))
    except OSError:
        pass
