namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>
/// Code that tries to reach the runner's protocol stream: it opens each of PID 1's first fds through
/// /proc for writing and writes a forged stdout frame into each one it gets. The runner is PID 1; the
/// code runs as another uid, and the runner is non-dumpable. Under gVisor, /proc/1/fd lists the
/// descriptors and what decides is the permission of each file reopened through it, so the code skips
/// the runner's ends of its own stdio pipes (writing there is writing its own output, which the
/// runner relays as such) and descriptors that do not exist.
/// </summary>
internal static class ProtocolForgery
{
    public const string Code =
        "import errno, os, struct\n" +
        "payload = b'FORGED OUTPUT\\n'\n" +
        "own = {(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (0, 1, 2)}\n" +
        "errors = set()\n" +
        "forged = 0\n" +
        "for n in range(16):\n" +
        "    path = f'/proc/1/fd/{n}'\n" +
        "    try:\n" +
        "        st = os.stat(path)\n" +
        "        if (st.st_dev, st.st_ino) in own:\n" +
        "            continue\n" +
        "        fd = os.open(path, os.O_WRONLY)\n" +
        "    except OSError as e:\n" +
        "        if e.errno != errno.ENOENT:\n" +
        "            errors.add(e.strerror)\n" +
        "        continue\n" +
        "    try:\n" +
        "        os.write(fd, b'o' + struct.pack('>I', len(payload)) + payload)\n" +
        "        forged += 1\n" +
        "    except OSError as e:\n" +
        "        errors.add(e.strerror)\n" +
        "    os.close(fd)\n" +
        "print('forged', forged)\n" +
        "print('refused with', sorted(errors))";

    /// <summary>
    /// Asserts that nothing was forged and that the protocol stream was among the refused: a socket of
    /// the runner that gVisor lets the code look up cannot be reopened either ("No such device or address").
    /// </summary>
    public static void ShouldBeRefused(string stdout)
    {
        var lines = stdout.Split('\n');
        lines[0].Should().Be("forged 0", stdout);
        lines[1].Should().StartWith("refused with [").And.Contain("'Permission denied'");
    }
}
