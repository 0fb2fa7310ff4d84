"""The sandbox's processes as the session supervisor sees them (it is PID 1 of the container's pid
namespace, so /proc lists exactly the sandbox's processes): what a cell started, what CPU time it
used, and how to stop all of it, including processes that left the cell's process group with
setsid()."""

import os
import signal

KILL_ROUNDS = 20                     # a process forking while we list it shows up in the next round
CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


def sandbox_pids():
    """Every live (not zombie) process of the sandbox."""
    pids = set()
    for name in os.listdir('/proc'):
        if name.isdigit() and _state(name) not in (None, 'Z', 'X'):
            pids.add(int(name))
    return pids


def cpu_seconds(pid):
    """User + system CPU time of a process and of the children it waited for; 0 if it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After "pid (comm) ": state is field 3; utime, stime, cutime, cstime are fields 14-17.
    try:
        return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS
    except (ValueError, IndexError):
        return 0.0


def kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass  # already gone


def kill_started_since(before, spare, reap):
    """SIGKILL every process that was not there in `before`, except `spare`, until none is left;
    `reap` collects the orphans the supervisor inherits, so they leave /proc."""
    for _ in range(KILL_ROUNDS):
        victims = sandbox_pids() - before - spare
        if not victims:
            return
        kill_all(victims)
        reap()


def _stat_fields(pid):
    try:
        with open(f'/proc/{pid}/stat', 'rb') as source:
            data = source.read().decode('ascii', 'replace')
    except OSError:
        return None
    end = data.rfind(')')  # the command name may contain spaces and parentheses
    return data[end + 2:].split() if end >= 0 else None


def _state(pid):
    fields = _stat_fields(pid)
    return fields[0] if fields else None
