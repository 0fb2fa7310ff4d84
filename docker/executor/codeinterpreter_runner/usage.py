"""What running the code cost (PROTOCOL.md, "Usage"): CPU time and peak memory read from the
container's cgroup (v1, then v2), wall time from the monotonic clock.

The cgroup files are kernel accounting on a read-only mount: the code can neither write them nor
hide a process from them. CPU is the cgroup's usage between the hand-over and the code's end, so it
counts the code, every process it started and the runner's relaying (a few ms); peak memory is the
container's high-water mark (runner and preloaded modules included), which the kernel keeps from
the container's start.
"""

import time

# cgroup v1 cpuacct in ns (own or joint mount), then v2's cpu.stat (usage_usec).
CPU_FILES_V1 = ('/sys/fs/cgroup/cpuacct/cpuacct.usage', '/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage')
CPU_STAT_V2 = '/sys/fs/cgroup/cpu.stat'
PEAK_FILES = ('/sys/fs/cgroup/memory/memory.max_usage_in_bytes', '/sys/fs/cgroup/memory.peak')


def read_int(path):
    try:
        with open(path, 'rb') as source:
            return int(source.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def read_cpu_ns():
    """CPU time of the whole container so far, in ns; None when no cgroup file is readable."""
    for path in CPU_FILES_V1:
        value = read_int(path)
        if value is not None:
            return value
    try:
        with open(CPU_STAT_V2, 'rb') as source:
            for line in source:
                fields = line.split()
                if len(fields) == 2 and fields[0] == b'usage_usec':
                    return int(fields[1]) * 1000
    except (OSError, ValueError):
        pass
    return None


def read_peak_memory():
    """The container's peak memory usage in bytes; None when unreadable."""
    for path in PEAK_FILES:
        value = read_int(path)
        if value is not None:
            return value
    return None


class UsageClock:
    """Started just before the code gets its request, stopped as soon as its end is known."""

    def __init__(self):
        self.cpu_start = read_cpu_ns()
        self.wall_start = time.monotonic()
        self.cpu_end = None
        self.wall_end = None

    def stop(self):
        if self.wall_end is None:
            self.wall_end = time.monotonic()
            self.cpu_end = read_cpu_ns()

    def report(self):
        """The result's `usage` object (stops the clock if it still runs)."""
        self.stop()
        cpu_ms = None
        if self.cpu_start is not None and self.cpu_end is not None:
            cpu_ms = max(0, self.cpu_end - self.cpu_start) // 1_000_000
        return {
            'cpu_ms': cpu_ms,
            'peak_memory_bytes': read_peak_memory(),
            'wall_ms': int((self.wall_end - self.wall_start) * 1000),
        }
