using System.Text;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>python-executor's requests as our one execute command: the facade adds no execution path of its own.</summary>
internal static class PyExecCommands
{
    /// <summary>python-executor's bound on an eval request's file contents, in total.</summary>
    public const int MaxEvalFilesBytes = 102_400;

    /// <summary>The entrypoint of an eval request with files but none named, and no files either.</summary>
    public const string DefaultEntrypoint = "main.py";

    /// <summary>The <c>requirements_txt</c> that turns import detection off.</summary>
    public const string NoDetection = "-";

    /// <summary><c>POST /api/v1/eval</c>: <c>files</c> win over <c>code</c>; one of them is required.</summary>
    public static ExecuteCodeCommand FromEval(PyExecEvalRequest request, ExecutionOptions limits)
    {
        var config = request.Config ?? new PyExecConfig();
        var files = request.Files ?? [];
        if (files.Count == 0 && string.IsNullOrEmpty(request.Code))
        {
            throw new RequestValidationException("code", "code or files is required");
        }

        var command = new ExecuteCodeCommand(
            files.Count == 0 ? request.Code : null, request.Stdin, config.TimeoutMs(limits), LastLineInteractive: false, Files: [])
        {
            EvalLastExpression = request.EvalLastExpr,
            MemoryLimitMb = config.MemoryLimitMb(limits),
            Network = config.Network,
            PythonVersion = request.PythonVersion,
            Requirements = Requirements(request.RequirementsTxt),
            DetectImports = request.RequirementsTxt?.Trim() != NoDetection,
        };
        if (files.Count == 0)
        {
            return command;
        }

        var total = files.Sum(f => (long)Encoding.UTF8.GetByteCount(f.Content ?? string.Empty));
        if (total > MaxEvalFilesBytes)
        {
            throw new PayloadTooLargeException($"files exceed maximum of {MaxEvalFilesBytes} bytes in total", MaxEvalFilesBytes);
        }

        return command with
        {
            Sources = [.. files.Select(f => new SourceFile(f.Name ?? string.Empty, f.Content ?? string.Empty))],
            Entrypoint = request.Entrypoint ?? files[0].Name ?? DefaultEntrypoint,
        };
    }

    /// <summary><c>/api/v1/exec/sync</c> and <c>/async</c>: the tar's files, run from the metadata's entrypoint.</summary>
    public static ExecuteCodeCommand FromForm(ProjectForm form, ExecutionOptions limits)
    {
        var metadata = form.Metadata;
        var config = metadata.Config ?? new PyExecConfig();
        var entrypoint = metadata.Entrypoint;
        if (string.IsNullOrWhiteSpace(entrypoint))
        {
            throw new RequestValidationException("entrypoint", "metadata.entrypoint is required: the tar's file to run");
        }

        var inTar = entrypoint.StartsWith("./", StringComparison.Ordinal) ? entrypoint[2..] : entrypoint;
        if (!form.Files.Any(f => f.Path.Value == inTar))
        {
            throw new RequestValidationException("entrypoint", $"entrypoint '{entrypoint}' is not a file in the tar");
        }

        return new ExecuteCodeCommand(null, metadata.Stdin, config.TimeoutMs(limits), LastLineInteractive: false, Files: [])
        {
            ProjectFiles = [.. form.Files.Select(f => new ProjectFile(f.Path.Value, f.Content))],
            Entrypoint = inTar,
            Env = PyExecEnvVars.Parse(metadata.EnvVars),
            Args = metadata.ScriptArgs ?? [],
            PreCommands = metadata.PreCommands ?? [],
            MemoryLimitMb = config.MemoryLimitMb(limits),
            Network = config.Network,
            Image = metadata.DockerImage,
            Requirements = Requirements(metadata.RequirementsTxt),
        };
    }

    /// <summary><c>requirements_txt</c>'s lines; <c>-</c> (detection off) and empty are none.</summary>
    private static IReadOnlyList<string> Requirements(string? requirementsTxt) =>
        string.IsNullOrWhiteSpace(requirementsTxt) || requirementsTxt.Trim() == NoDetection ? [] : [requirementsTxt];
}
