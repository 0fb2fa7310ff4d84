namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// This host's iptables, as the service uses it to fence its own bridge networks: rules checked before they
/// are inserted (idempotent across restarts and instances), and a missing or unusable iptables reported as such.
/// </summary>
internal static class HostFirewall
{
    /// <summary>Inserts <paramref name="rule"/> at the top of its chain unless it is there; false when iptables cannot.</summary>
    public static async Task<bool> EnsureRuleAsync(string[] rule, CancellationToken cancellationToken) =>
        (await RunAsync(["-C", .. rule], cancellationToken).ConfigureAwait(false)).Exit == 0
        || (await RunAsync(["-I", .. rule], cancellationToken).ConfigureAwait(false)).Exit == 0;

    /// <summary>Runs iptables with <paramref name="arguments"/>: its exit code (-1 when it is not installed) and stdout.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string[] arguments, CancellationToken cancellationToken)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("iptables", arguments)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            _ = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (process.ExitCode, await output.ConfigureAwait(false));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, ""); // iptables is not installed
        }
    }
}
