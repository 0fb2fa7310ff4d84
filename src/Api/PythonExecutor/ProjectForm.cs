using CodeInterpreter.Api.Uploads;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>
/// The multipart form of <c>/api/v1/exec/sync</c> and <c>/api/v1/exec/async</c>, read as it streams in:
/// the <c>tar</c> part through <see cref="ProjectArchive"/> (never extracted on this host) and the
/// <c>metadata</c> part as JSON whatever its content type (Python's client sends application/json, Go's
/// and curl a plain field). Other parts are skipped; a missing or repeated part is a 400.
/// </summary>
internal sealed record ProjectForm(IReadOnlyList<SandboxInputFile> Files, PyExecMetadata Metadata)
{
    /// <summary>The most a metadata part may hold.</summary>
    public const int MaxMetadataBytes = 1024 * 1024;

    public static async Task<ProjectForm> ReadAsync(HttpRequest request, ExecutionOptions limits, CancellationToken cancellationToken)
    {
        var reader = MultipartFileReader.Open(request)
            ?? throw new RequestValidationException("body", "the body must be multipart/form-data with a 'tar' and a 'metadata' part");
        IReadOnlyList<SandboxInputFile>? files = null;
        PyExecMetadata? metadata = null;
        while (await MultipartFileReader.NextSectionAsync(reader, cancellationToken).ConfigureAwait(false) is { } section)
        {
            var field = MultipartFileReader.FieldOf(section);
            if (field?.Name is not ("tar" or "metadata"))
            {
                continue;
            }

            var content = new MultipartContentStream(section.Body);
            await using (content.ConfigureAwait(false))
            {
                if (field.Value.Name == "tar")
                {
                    files = files is null
                        ? await ProjectArchive.ReadAsync(content, limits, cancellationToken).ConfigureAwait(false)
                        : throw Repeated("tar");
                }
                else
                {
                    metadata = metadata is null
                        ? await PyExecJson.ReadAsync<PyExecMetadata>(content, "metadata", MaxMetadataBytes, cancellationToken).ConfigureAwait(false)
                        : throw Repeated("metadata");
                }
            }
        }

        return new ProjectForm(
            files ?? throw new RequestValidationException("tar", "the 'tar' part is missing: send the project as a tar file part"),
            metadata ?? throw new RequestValidationException("metadata", "the 'metadata' part is missing: send it as a JSON form field"));
    }

    private static RequestValidationException Repeated(string part) => new(part, $"the '{part}' part is given twice");
}
