using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CodeInterpreter.Client;

namespace CodeInterpreter.Cli;

/// <summary><c>cin run script.py|- [args...]</c>: runs the script in a fresh sandbox and exits with its exit code.</summary>
internal static class RunCommand
{
    public static Command Create(ServiceOptions service, CinEnvironment environment)
    {
        var script = new Argument<string>("script")
        {
            Description = "The Python file to run, or - to read the code from standard input",
        };
        var scriptArgs = new Argument<string[]>("args")
        {
            Description = "Arguments for the script (its sys.argv[1:]); put them after --",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var files = new Option<string[]>("--file", "-f")
        {
            Description = "A file to upload and place in the workspace under its name (repeatable)",
            // One path per --file, so "--file data.csv script.py" leaves the script alone.
            AllowMultipleArgumentsPerToken = false,
        };
        var timeout = new Option<int?>("--timeout", "-t")
        {
            Description = "Wall-clock limit in milliseconds (the server's default: 2000)",
        };
        var echo = new Option<bool>("--echo")
        {
            Description = "Print the value of a bare expression on the last line, as a Python REPL does",
        };
        var quiet = new Option<bool>("--quiet", "-q")
        {
            Description = "Print only the code's standard output: no stderr, no notes",
        };
        var saveOutputs = new Option<string?>("--save-outputs")
        {
            Description = "Write the images the code displayed (plt.show(), display()) to this folder as output-<n>.png|jpg",
        };

        var command = new Command("run", "Run a Python script in a fresh sandbox; exits with its exit code (124 when timed out)")
        {
            script, scriptArgs, files, timeout, echo, quiet, saveOutputs,
        };
        command.SetAction((parse, cancellationToken) => CinApp.WithServiceAsync(parse, service, environment, connection =>
            RunAsync(connection, environment, new RunOptions(
                parse.GetRequiredValue(script),
                parse.GetValue(scriptArgs) ?? [],
                parse.GetValue(files) ?? [],
                parse.GetValue(timeout),
                parse.GetValue(echo),
                parse.GetValue(quiet),
                parse.GetValue(saveOutputs)), cancellationToken)));
        return command;
    }

    private sealed record RunOptions(string Script, string[] Args, string[] Files, int? TimeoutMs, bool Echo, bool Quiet, string? SaveOutputs);

    private static async Task<int> RunAsync(
        ServiceConnection connection, CinEnvironment environment, RunOptions options, CancellationToken cancellationToken)
    {
        string code;
        string? stdin = null;
        if (options.Script == "-")
        {
            code = await environment.In.ReadToEndAsync(cancellationToken);
        }
        else
        {
            code = await ReadLocalAsync(options.Script, cancellationToken);
            // Piped input goes to the script, as if it ran here.
            if (environment.InputRedirected)
            {
                stdin = await environment.In.ReadToEndAsync(cancellationToken);
            }
        }

        CheckInputNames(options.Files);
        var uploaded = new List<UploadFileResponse>();
        try
        {
            foreach (var path in options.Files)
            {
                await using var content = OpenLocal(path);
                uploaded.Add(await connection.Files.UploadAsync(new FileParameter(content, Path.GetFileName(path)), cancellationToken));
            }

            var request = new ExecuteRequest
            {
                Code = code,
                Stdin = stdin,
                Args = options.Args,
                // Like "python script.py", unless --echo asks for the REPL's habit.
                LastLineInteractive = options.Echo,
                Files = uploaded.Select(u => new ExecuteFileReference { Path = u.Filename, FileId = u.FileId }).ToList(),
            };
            if (options.TimeoutMs is { } timeoutMs)
            {
                request.TimeoutMs = timeoutMs;
            }

            var result = await connection.Executions.ExecuteAsync(request, cancellationToken);
            var saved = options.SaveOutputs is { } folder ? await SaveImagesAsync(result, folder, cancellationToken) : [];
            await ReportAsync(result, environment, options, saved);
            return result switch
            {
                { TimedOut: true } => ExitCodes.TimedOut,
                { ExitCode: { } exitCode } => exitCode,
                _ => ExitCodes.ServiceError,
            };
        }
        finally
        {
            // The inputs were uploaded for this run only.
            foreach (var file in uploaded)
            {
                try
                {
                    await connection.Files.DeleteAsync(file.FileId, CancellationToken.None);
                }
                catch (Exception ex) when (connection.Describe(ex) is not null)
                {
                    // Best effort: the service's FILE_TTL_SEC removes it later anyway.
                }
            }
        }
    }

    private static async Task ReportAsync(ExecuteResponse result, CinEnvironment environment, RunOptions options, IReadOnlyList<string> saved)
    {
        await environment.Out.WriteAsync(result.Stdout);
        await environment.Out.FlushAsync();
        if (options.Quiet)
        {
            return;
        }

        await environment.Error.WriteAsync(result.Stderr);
        var notes = new List<string>();
        if (result.StdoutTruncated)
        {
            notes.Add("stdout was cut at the server's MAX_OUTPUT_BYTES");
        }

        if (result.StderrTruncated)
        {
            notes.Add("stderr was cut at the server's MAX_OUTPUT_BYTES");
        }

        if (result.TimedOut)
        {
            notes.Add($"timed out after {result.DurationMs} ms and was killed");
        }

        if (result.OomKilled)
        {
            notes.Add("killed: out of memory");
        }

        foreach (var file in result.Files.Where(f => f.FileId is not null))
        {
            notes.Add($"generated {file.Path} ({file.SizeBytes} bytes): cin files get {file.FileId} -o {Path.GetFileName(file.Path)}");
        }

        foreach (var dropped in result.FilesDropped)
        {
            notes.Add($"not returned: {dropped.Path} ({dropped.Reason})");
        }

        notes.AddRange(saved.Select(path => $"saved displayed image {path}"));
        if (result.OutputsTruncated || result.Outputs.Any(o => o.Truncated))
        {
            notes.Add("some displayed items were cut at the server's MAX_OUTPUT_ITEMS or MAX_OUTPUT_BYTES");
        }

        if (result.Usage is { } usage)
        {
            var cpu = usage.CpuMs is { } cpuMs ? $"{cpuMs} ms" : "unknown";
            var peak = usage.PeakMemoryBytes is { } bytes ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.0} MiB") : "unknown";
            notes.Add($"usage: cpu {cpu}, peak memory {peak}, wall {usage.WallMs} ms");
        }

        foreach (var note in notes)
        {
            await environment.Error.WriteLineAsync($"cin: {note}");
        }

        await environment.Error.FlushAsync();
    }

    /// <summary>Writes every displayed PNG or JPEG image into <paramref name="folder"/> (created if needed); returns the paths written.</summary>
    private static async Task<IReadOnlyList<string>> SaveImagesAsync(ExecuteResponse result, string folder, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        var number = 0;
        foreach (var output in result.Outputs)
        {
            number++;
            foreach (var (mime, extension) in (ReadOnlySpan<(string, string)>)[("image/png", "png"), ("image/jpeg", "jpg")])
            {
                if (output.Data.TryGetValue(mime, out var value) && value is JsonElement { ValueKind: JsonValueKind.String } base64
                    && base64.TryGetBytesFromBase64(out var bytes))
                {
                    var path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"output-{number}.{extension}"));
                    try
                    {
                        Directory.CreateDirectory(folder);
                        await File.WriteAllBytesAsync(path, bytes, cancellationToken);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        throw new CinException(ExitCodes.UsageError, $"cannot write {path}: {ex.Message}");
                    }

                    written.Add(path);
                    break;
                }
            }
        }

        return written;
    }

    private static void CheckInputNames(string[] files)
    {
        var duplicate = files.GroupBy(Path.GetFileName, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new CinException(ExitCodes.UsageError,
                $"two --file inputs would both be placed at /workspace/{duplicate.Key}: {string.Join(", ", duplicate)}");
        }
    }

    private static async Task<string> ReadLocalAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CinException(ExitCodes.UsageError, $"cannot read {path}: {ex.Message}");
        }
    }

    private static FileStream OpenLocal(string path)
    {
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CinException(ExitCodes.UsageError, $"cannot read {path}: {ex.Message}");
        }
    }
}
