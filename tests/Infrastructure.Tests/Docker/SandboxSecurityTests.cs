using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>Each container setting of DESIGN.md, proven by trying the attack it stops, under runc and under gVisor.</summary>
[TestFixture("runc")]
[TestFixture("runsc")]
[Parallelizable(ParallelScope.Children)]
public sealed class SandboxSecurityTests(string runtime) : RealSandboxTests(runtime)
{
    [Test]
    public async Task Code_runs_as_the_unprivileged_sandbox_user()
    {
        var result = await Sandbox.RunAsync("import os\nprint(os.getuid(), os.geteuid(), os.getgid())");

        result.Stdout.Should().Be("10001 10001 10001\n");
    }

    [Test]
    public async Task Code_has_no_capabilities_and_cannot_gain_privileges()
    {
        // no_new_privs from prctl(PR_GET_NO_NEW_PRIVS): gVisor's /proc/self/status has no NoNewPrivs line.
        var result = await Sandbox.RunAsync(
            "import ctypes\n" +
            "status = dict(l.split(':', 1) for l in open('/proc/self/status'))\n" +
            "print(status['CapEff'].strip(), status['CapPrm'].strip(), ctypes.CDLL(None).prctl(39, 0, 0, 0, 0))");

        result.Stdout.Should().Be("0000000000000000 0000000000000000 1\n");
    }

    [Test]
    public async Task Code_cannot_write_outside_workspace_and_tmp()
    {
        var result = await Sandbox.RunAsync(
            "import os\n" +
            "for path in ['/etc/evil', '/usr/lib/evil', '/opt/runner/codeinterpreter_runner/child.py',\n" +
            "             '/opt/runner/codeinterpreter_runner/__pycache__/evil.pyc', '/root/evil', '/evil']:\n" +
            "    try:\n" +
            "        open(path, 'w').write('x')\n" +
            "        print('WROTE', path)\n" +
            "    except OSError as e:\n" +
            "        print('refused', path, e.errno)\n" +
            "for path in ['/workspace/ok.txt', '/tmp/ok.txt']:\n" +
            "    open(path, 'w').write('x')\n" +
            "    print('wrote', path)");

        result.Stdout.Should().NotContain("WROTE");
        result.Stdout.Should().Contain("refused /etc/evil").And.Contain("refused /usr/lib/evil").And.Contain("refused /evil");
        result.Stdout.Should().Contain("wrote /workspace/ok.txt").And.Contain("wrote /tmp/ok.txt");
    }

    [Test]
    public async Task Code_has_no_network_interface_but_loopback_and_cannot_reach_the_host()
    {
        var gateway = await RealEngine.BridgeGatewayAsync();

        var result = await Sandbox.RunAsync(
            "import socket\n" +
            "print(sorted(name for _, name in socket.if_nameindex()))\n" +
            "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n" +
            "s.settimeout(3)\n" +
            "try:\n" +
            $"    s.connect(('{gateway}', 2375))\n" +
            "    print('CONNECTED')\n" +
            "except OSError as e:\n" +
            "    print('connect failed', type(e).__name__)");

        result.Stdout.Should().StartWith("['lo']\n");
        result.Stdout.Should().Contain("connect failed").And.NotContain("CONNECTED");
    }

    [Test]
    public async Task Code_that_exceeds_the_memory_limit_is_killed_and_reported()
    {
        var result = await Sandbox.RunAsync("block = b'x' * (600 * 1024 * 1024)\nprint('ALLOCATED', len(block))", memoryMb: 256);

        result.OomKilled.Should().BeTrue();
        result.Stdout.Should().NotContain("ALLOCATED");
        result.ExitCode.Should().NotBe(0);
    }

    [Test]
    public async Task A_fork_bomb_is_contained_by_the_pids_limit()
    {
        var bomb = await Sandbox.RunAsync(
            "import os\n" +
            "children = 0\n" +
            "try:\n" +
            "    for _ in range(10_000):\n" +
            "        if os.fork() == 0:\n" +
            "            import time; time.sleep(30); os._exit(0)\n" +
            "        children += 1\n" +
            "except OSError as e:\n" +
            "    print('fork refused after', children, type(e).__name__)",
            timeoutMs: 10_000);

        bomb.Stdout.Should().StartWith("fork refused after", $"exit code {bomb.ExitCode}, stderr: {bomb.Stderr}");
        var children = int.Parse(bomb.Stdout.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture);
        children.Should().BeLessThan(Sandbox.Options.PidsLimit);

        var after = await Sandbox.RunAsync("print('still serving')");
        after.Stdout.Should().Be("still serving\n");
    }

    [Test]
    public async Task Code_cannot_fill_the_workspace_beyond_its_size()
    {
        var result = await Sandbox.RunAsync(
            "try:\n" +
            "    with open('/workspace/big', 'wb') as f:\n" +
            "        for _ in range(300):\n" +
            "            f.write(b'\\0' * 1024 * 1024)\n" +
            "    print('WROTE 300 MB')\n" +
            "except OSError as e:\n" +
            "    print('stopped', type(e).__name__)",
            memoryMb: 512);

        result.Stdout.Should().NotContain("WROTE").And.StartWith("stopped");
    }

    [Test]
    public async Task Code_cannot_see_the_engine_socket()
    {
        var result = await Sandbox.RunAsync("import os\nprint(os.path.exists('/var/run/docker.sock'), os.path.exists('/run/docker.sock'))");

        result.Stdout.Should().Be("False False\n");
    }

    // Each call is made raw through libc's syscall(), so no library wrapper can hide the kernel's answer.
    // Docker's default profile lets io_uring_setup and personality(PER_LINUX32) through; ours refuses
    // them like the rest. clone3 answers ENOSYS so the C library falls back to clone, which is allowed
    // without namespace flags (os.fork below) and refused with them.
    [Test]
    public async Task Code_cannot_make_the_system_calls_the_seccomp_profile_refuses()
    {
        var result = await Sandbox.RunAsync(
            "import ctypes, os\n" +
            "libc = ctypes.CDLL(None, use_errno=True)\n" +
            "libc.syscall.restype = ctypes.c_long\n" +
            "raw = ctypes.create_string_buffer(256)\n" +
            "buf = ctypes.c_void_p(ctypes.addressof(raw))\n" +
            "calls = {\n" +
            "    'ptrace_traceme': (101, 0, 0, 0, 0),\n" +
            "    'io_uring_setup': (425, 4, buf),\n" +
            "    'bpf': (321, 0, buf, 128),\n" +
            "    'userfaultfd': (323, 0),\n" +
            "    'perf_event_open': (298, buf, 0, -1, -1, 0),\n" +
            "    'keyctl': (250, 0, 0),\n" +
            "    'add_key': (248, b'user', b'k', b'v', 1, -2),\n" +
            "    'personality_linux32': (135, 8),\n" +
            "    'unshare_user': (272, 0x10000000),\n" +
            "    'clone_newuser': (56, 0x10000000 | 17, 0, 0, 0, 0),\n" +
            "    'setns': (308, 0, 0),\n" +
            "    'mount': (165, b'none', b'/tmp', b'tmpfs', 0, 0),\n" +
            "    'process_vm_readv': (310, 1, 0, 0, 0, 0, 0),\n" +
            "    'clone3': (435, buf, 88),\n" +
            "}\n" +
            "for name, (nr, *args) in calls.items():\n" +
            "    ctypes.set_errno(0)\n" +
            "    ret = libc.syscall(nr, *args)\n" +
            "    if ret == 0 and name == 'clone_newuser':\n" +
            "        os._exit(0)\n" +
            "    print(name, 'ALLOWED' if ret >= 0 else os.strerror(ctypes.get_errno()), flush=True)\n" +
            "pid = os.fork()\n" +
            "if pid == 0:\n" +
            "    os._exit(7)\n" +
            "print('fork', os.waitpid(pid, 0)[1] >> 8)\n" +
            "libc.personality.argtypes = [ctypes.c_ulong]\n" +
            "print('personality_query', libc.personality(0xffffffff))");

        result.Stdout.Should().NotContain("ALLOWED");
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().Contain(
        [
            "ptrace_traceme Operation not permitted",
            "io_uring_setup Operation not permitted",
            "bpf Operation not permitted",
            "userfaultfd Operation not permitted",
            "perf_event_open Operation not permitted",
            "keyctl Operation not permitted",
            "add_key Operation not permitted",
            "personality_linux32 Operation not permitted",
            "unshare_user Operation not permitted",
            "clone_newuser Operation not permitted",
            "setns Operation not permitted",
            "mount Operation not permitted",
            "process_vm_readv Operation not permitted",
            "fork 7",
        ]);
        if (Runtime == "runc")
        {
            // Not over-blocked: querying the personality works (gVisor does not implement the query).
            lines.Should().Contain("personality_query 0");
        }

        // runc answers ENOSYS as the profile says; gVisor's own seccomp filter answers EPERM.
        lines.Should().ContainSingle(line => line == "clone3 Function not implemented" || line == "clone3 Operation not permitted");
        result.ExitCode.Should().Be(0, result.Stderr);
    }

    // The runner is PID 1: could the code open its protocol stream through /proc/1/fd, it could write
    // frames the service would take for the runner's. It runs as another uid than the code (and is
    // non-dumpable), which closes /proc/1/fd under runc and the stream's file under gVisor.
    [Test]
    public async Task Code_cannot_reach_the_runner_s_protocol_stream_through_proc()
    {
        var result = await Sandbox.RunAsync(ProtocolForgery.Code);

        ProtocolForgery.ShouldBeRefused(result.Stdout);
        result.ExitCode.Should().Be(0);
    }
}
