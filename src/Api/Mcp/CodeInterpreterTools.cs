using System.ComponentModel;
using System.Globalization;
using System.Text;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Files;
using CodeInterpreter.Domain.Executions;
using Mediator;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace CodeInterpreter.Api.Mcp;

/// <summary>
/// The service as MCP tools (streamable HTTP at /mcp): an LLM runs Python and handles files with no
/// glue code. Each tool goes through the same use cases, limits and access control as the REST API.
/// </summary>
[McpServerToolType]
public sealed class CodeInterpreterTools(IMediator mediator, IFileStore files, IOptions<ExecutionOptions> options)
{
    private const long MaxImageBytes = 5 * 1024 * 1024;
    private const int DefaultTimeoutMs = 30_000;

    // The text form an agent reads best of a display item that is not an image, richest first.
    private static readonly string[] TextMimeTypes = ["text/markdown", "text/html", DisplayOutput.JsonMimeType, "text/latex", "image/svg+xml", "text/plain"];

    /// <summary>Runs Python in a fresh sandbox; returns its output as text, displayed images and generated PNG images as images, displayed tables and HTML as text.</summary>
    [McpServerTool(Name = "execute_python", Destructive = false, OpenWorld = false)]
    [Description("Run Python 3 code in a fresh, isolated sandbox (numpy, pandas, matplotlib, scipy, scikit-learn and more; no network). "
        + "The value of a bare expression on the last line is printed. Files created in the working directory are returned with ids; "
        + "figures shown with plt.show() and images shown with display() come back as images, tables (DataFrames) and HTML shown as text.")]
    public async Task<CallToolResult> ExecutePython(
        [Description("The Python source code to run.")] string code,
        [Description("Stored files to place in the working directory first: each {\"path\": \"data.csv\", \"file_id\": \"...\"}.")]
        IReadOnlyList<ToolFileReference>? files = null,
        [Description("Wall-clock limit in milliseconds (default 30000, or the server's maximum if that is lower).")] int? timeoutMs = null,
        CancellationToken cancellationToken = default)
    {
        // A default above MAX_EXEC_TIMEOUT_MS would refuse every call that does not name a timeout.
        var timeout = timeoutMs ?? Math.Min(DefaultTimeoutMs, options.Value.MaxExecTimeoutMs);
        var command = new ExecuteCodeCommand(
            code, Stdin: null, timeout, LastLineInteractive: true,
            [.. (files ?? []).Select(f => new WorkspaceFileReference(f.Path, f.FileId))]);
        var result = await mediator.Send(command, cancellationToken);
        var content = new List<ContentBlock> { new TextContentBlock { Text = Describe(result) } };
        var shownImages = new HashSet<string>(StringComparer.Ordinal);
        foreach (var output in result.Outputs)
        {
            if (ToContent(output) is { } block)
            {
                content.Add(block);
                if (block is ImageContentBlock image)
                {
                    shownImages.Add(output.Data[image.MimeType]);
                }
            }
        }

        foreach (var image in result.Files.Where(f => f.Kind == WorkspaceEntry.FileKind && f.Path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)))
        {
            // A figure of plt.show() is both a display item and a file: one image of it is enough.
            if (image.FileId is not null && image.SizeBytes <= MaxImageBytes && await ReadAsync(image.FileId, cancellationToken) is { } bytes
                && !shownImages.Contains(Convert.ToBase64String(bytes)))
            {
                content.Add(ImageContentBlock.FromBytes(bytes, "image/png"));
            }
        }

        return new CallToolResult { Content = content, IsError = result.TimedOut || result.ExitCode != 0 };
    }

    /// <summary>Stores a file the code can use.</summary>
    [McpServerTool(Name = "upload_file", Destructive = false, OpenWorld = false)]
    [Description("Store a file for later use by execute_python; returns its file_id. Content is base64.")]
    public async Task<string> UploadFile(
        [Description("File name, e.g. data.csv.")] string filename,
        [Description("The file's bytes, base64-encoded.")] string contentBase64,
        CancellationToken cancellationToken = default)
    {
        using var content = new MemoryStream(Convert.FromBase64String(contentBase64), writable: false);
        var stored = await mediator.Send(new UploadFileCommand(filename, content), cancellationToken);
        return string.Create(CultureInfo.InvariantCulture, $"file_id: {stored.FileId} ({stored.FileName}, {stored.SizeBytes} bytes)");
    }

    /// <summary>Lists stored files.</summary>
    [McpServerTool(Name = "list_files", ReadOnly = true, OpenWorld = false)]
    [Description("List stored files (uploaded and generated) with their ids.")]
    public async Task<string> ListFiles(CancellationToken cancellationToken = default)
    {
        var stored = await mediator.Send(new ListFilesQuery(), cancellationToken);
        return stored.Count == 0
            ? "no files"
            : string.Join('\n', stored.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.FileId}  {f.FileName}  {f.SizeBytes} bytes")));
    }

    /// <summary>Deletes a stored file.</summary>
    [McpServerTool(Name = "delete_file", Destructive = true, Idempotent = true, OpenWorld = false)]
    [Description("Delete a stored file by its file_id.")]
    public async Task<string> DeleteFile([Description("The file_id to delete.")] string fileId, CancellationToken cancellationToken = default)
    {
        await mediator.Send(new DeleteFileCommand(fileId), cancellationToken);
        return $"deleted {fileId}";
    }

    private async Task<byte[]?> ReadAsync(string fileId, CancellationToken cancellationToken)
    {
        var stream = await files.OpenReadAsync(fileId, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        await using (stream)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
    }

    /// <summary>
    /// A display item as MCP content: an image as image content, anything else as text in its richest form. A
    /// trailing expression's plain value is not repeated: it is printed in the output already.
    /// </summary>
    private static ContentBlock? ToContent(DisplayOutput output)
    {
        foreach (var mime in (string[])["image/png", "image/jpeg"])
        {
            if (output.Data.TryGetValue(mime, out var base64))
            {
                return ImageContentBlock.FromBytes(Convert.FromBase64String(base64), mime);
            }
        }

        var textMime = TextMimeTypes.FirstOrDefault(output.Data.ContainsKey);
        if (textMime is null || (textMime == "text/plain" && output.Type == DisplayOutput.ExecuteResult))
        {
            return null;
        }

        return new TextContentBlock { Text = $"[{output.Type} {textMime}]\n{output.Data[textMime]}" };
    }

    private static string Describe(ExecutionResult result)
    {
        var text = new StringBuilder();
        if (result.Stdout.Length > 0)
        {
            text.Append(result.Stdout);
        }

        if (result.Stderr.Length > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n[stderr]\n{result.Stderr}");
        }

        text.Append(result.TimedOut
            ? "\n[timed out]"
            : string.Create(CultureInfo.InvariantCulture, $"\n[exit code {result.ExitCode}{(result.OomKilled ? ", killed: out of memory" : "")}]"));
        foreach (var file in result.Files.Where(f => f.Kind == WorkspaceEntry.FileKind))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n[file {file.Path}: file_id {file.FileId}, {file.SizeBytes} bytes]");
        }

        if (result.Usage is { } usage)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n[usage: cpu {usage.CpuMs?.ToString(CultureInfo.InvariantCulture) ?? "?"} ms, peak memory {(usage.PeakMemoryBytes is { } peak ? (peak / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture) : "?")} MiB, wall {usage.WallMs} ms]");
        }

        return text.ToString().TrimStart('\n');
    }
}

/// <summary>A stored file to stage for execute_python.</summary>
/// <param name="Path">Relative path in the working directory.</param>
/// <param name="FileId">Id from upload_file or an earlier execution.</param>
public sealed record ToolFileReference(string Path, string FileId);
