namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>
/// Code that tries to reach the runner's protocol stream: it opens each of PID 1's first fds through
/// /proc for writing and writes a forged stdout frame into each one it gets. The runner is PID 1 and
/// the same uid as the code, so only its non-dumpable flag stands in the way.
/// </summary>
internal static class ProtocolForgery
{
    public const string Code =
        "import os, struct\n" +
        "payload = b'FORGED OUTPUT\\n'\n" +
        "errors = set()\n" +
        "forged = 0\n" +
        "for n in range(16):\n" +
        "    try:\n" +
        "        fd = os.open(f'/proc/1/fd/{n}', os.O_WRONLY)\n" +
        "    except OSError as e:\n" +
        "        errors.add(e.strerror)\n" +
        "        continue\n" +
        "    try:\n" +
        "        os.write(fd, b'o' + struct.pack('>I', len(payload)) + payload)\n" +
        "        forged += 1\n" +
        "    except OSError as e:\n" +
        "        errors.add(e.strerror)\n" +
        "    os.close(fd)\n" +
        "print('forged', forged, sorted(errors))";

    /// <summary>What the code prints when every open was refused: nothing forged.</summary>
    public const string Refused = "forged 0 ['Permission denied']\n";
}
