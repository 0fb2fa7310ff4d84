namespace CodeInterpreter.Infrastructure.Tests.Sessions;

/// <summary>
/// A cell that writes, on every socket its interpreter holds (the control socket to the supervisor
/// among them), the lines the interpreter writes there: `running` and a `done` with exit status 0 for
/// this cell and the next ones; then it goes on for a while, prints, and exits with status 3.
/// </summary>
internal static class ControlForgery
{
    public const string Code =
        "import json, os, socket, stat, sys, time\n" +
        "lines = b''.join((json.dumps(event) + '\\n').encode()\n" +
        "                 for cell in range(1, 20)\n" +
        "                 for event in ({'cell': cell, 'event': 'running'},\n" +
        "                               {'cell': cell, 'event': 'done', 'status': 0, 'error': None}))\n" +
        "sockets = 0\n" +
        "for fd in range(3, 256):\n" +
        "    try:\n" +
        "        if not stat.S_ISSOCK(os.fstat(fd).st_mode):\n" +
        "            continue\n" +
        "        os.write(fd, lines)\n" +
        "        sockets += 1\n" +
        "    except OSError:\n" +
        "        pass\n" +
        "print('forged on', sockets, 'socket(s)', flush=True)\n" +
        "time.sleep(1)\n" +
        "print('still running after the forged end', flush=True)\n" +
        "sys.exit(3)";

    /// <summary>The cell's output when its forged lines changed nothing: all it printed.</summary>
    public const string Output = "forged on 1 socket(s)\nstill running after the forged end\n";
}
