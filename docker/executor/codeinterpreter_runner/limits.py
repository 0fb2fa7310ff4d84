"""Resource limits of the code (rlimits), and what the container's memory limit did to it."""

import os
import resource
import sys


PR_SET_DUMPABLE = 4


def set_dumpable(dumpable):
    """prctl(PR_SET_DUMPABLE): a non-dumpable process's /proc entries belong to root, so another
    process of the same uid cannot open its fds through /proc/<pid>/fd (nor ptrace it). The runner
    makes itself non-dumpable at start; the code's process, forked from it, makes itself dumpable
    again, so its own /proc/self stays its own."""
    import ctypes  # imported by the runner before it forks: the children get it for free
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 1 if dumpable else 0, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f'prctl(PR_SET_DUMPABLE, {int(dumpable)}): {os.strerror(errno)}')


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


def apply_program_limits(request):
    """The limits of a one-shot program's process, which runs nothing but the code."""
    set_limit(resource.RLIMIT_CORE, 0)
    set_limit(resource.RLIMIT_CPU, request['cpu_time_limit_sec'])
    set_limit(resource.RLIMIT_FSIZE, request['fsize_limit_bytes'])
    set_limit(resource.RLIMIT_NOFILE, request['nofile_limit'])


def apply_cell_limits(request):
    """RLIMIT_CPU counts the process's whole life: allow this cell its budget on top of what is used."""
    set_limit(resource.RLIMIT_CORE, 0)
    set_limit(resource.RLIMIT_FSIZE, request['fsize_limit_bytes'])
    set_limit(resource.RLIMIT_NOFILE, request['nofile_limit'])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + request['cpu_time_limit_sec']
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


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
