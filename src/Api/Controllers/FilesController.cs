using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Api.Mapping;
using CodeInterpreter.Api.Uploads;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Files;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using NSwag.Annotations;

namespace CodeInterpreter.Api.Controllers;

/// <summary>Upload, list, download and delete stored files (inputs of executions and their outputs).</summary>
[ApiController]
[Route("v1/files")]
public sealed class FilesController(IMediator mediator) : ControllerBase
{
    private const string FileField = "file";

    /// <summary>Stores the multipart/form-data field <c>file</c>; its id stages it into executions.</summary>
    /// <response code="201">The file is stored.</response>
    /// <response code="400">The multipart body is malformed.</response>
    /// <response code="413">The file is larger than MAX_FILE_SIZE_MB, or than what is left of the caller's key's share (FILE_STORE_MAX_MB_PER_KEY).</response>
    /// <response code="422">The request has no <c>file</c> field.</response>
    /// <response code="507">The file store is full (FILE_STORE_MAX_MB).</response>
    [HttpPost]
    [StreamedUpload]
    [OpenApiOperationProcessor(typeof(MultipartFileUploadProcessor), FileField, "The file's content; its name is kept as metadata.")]
    [ProducesResponseType<UploadFileResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status507InsufficientStorage, "application/problem+json")]
    public async Task<ActionResult<UploadFileResponse>> Upload(CancellationToken cancellationToken)
    {
        // Read straight from the request body, so an upload is never buffered whole and a too-large
        // one is refused while it streams in.
        var upload = await MultipartFileReader.FindAsync(Request, FileField, cancellationToken)
            ?? throw new RequestValidationException(FileField, "file is required: send the content as the multipart/form-data field 'file'");
        await using var content = upload.Content;
        var stored = await mediator.Send(new UploadFileCommand(upload.FileName, content), cancellationToken);
        return CreatedAtAction(nameof(Download), new RouteValueDictionary { ["file_id"] = stored.FileId }, stored.ToUploadResponse());
    }

    /// <summary>Lists every stored file, uploaded or generated, oldest first.</summary>
    /// <response code="200">The stored files.</response>
    [HttpGet]
    [ProducesResponseType<ListFilesResponse>(StatusCodes.Status200OK)]
    public async Task<ListFilesResponse> List(CancellationToken cancellationToken)
    {
        var files = await mediator.Send(new ListFilesQuery(), cancellationToken);
        return files.ToListResponse();
    }

    /// <summary>Downloads a stored file's bytes, offered under its file name.</summary>
    /// <param name="fileId">The id returned by the upload or by an execution.</param>
    /// <param name="cancellationToken">Aborted when the client goes away.</param>
    /// <response code="200">The file's content.</response>
    /// <response code="404">No file has this id.</response>
    [HttpGet("{file_id}")]
    [ProducesResponseType<FileStreamResult>(StatusCodes.Status200OK, "application/octet-stream")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<FileStreamResult> Download([FromRoute(Name = "file_id")] string fileId, CancellationToken cancellationToken)
    {
        var download = await mediator.Send(new GetFileQuery(fileId), cancellationToken);
        return File(download.Content, "application/octet-stream", download.File.FileName, enableRangeProcessing: false);
    }

    /// <summary>Deletes a stored file.</summary>
    /// <param name="fileId">The id returned by the upload or by an execution.</param>
    /// <param name="cancellationToken">Aborted when the client goes away.</param>
    /// <response code="204">The file is deleted.</response>
    /// <response code="404">No file has this id.</response>
    [HttpDelete("{file_id}")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<IActionResult> Delete([FromRoute(Name = "file_id")] string fileId, CancellationToken cancellationToken)
    {
        await mediator.Send(new DeleteFileCommand(fileId), cancellationToken);
        return NoContent();
    }
}
