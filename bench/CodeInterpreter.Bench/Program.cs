using System.Runtime.InteropServices;
using CodeInterpreter.Bench;

if (args.Any(a => a is "-h" or "--help"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"{ex.Message}\n\n{BenchOptions.Usage}");
    return BenchmarkRun.UsageError;
}

using var cancellation = new CancellationTokenSource();
// Ctrl+C and SIGTERM cancel the run instead of ending the process, so the service it started is
// still stopped (draining its pool) and the reference containers are still removed.
void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    cancellation.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);

return await new BenchmarkRun(options).RunAsync(cancellation.Token);
