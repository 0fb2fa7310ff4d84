using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Api.Uploads;

/// <summary>
/// For actions that stream a multipart body themselves (<see cref="MultipartFileReader"/>): model
/// binding must not read the form first (it would buffer the whole upload), and the server's body
/// limit follows MAX_FILE_SIZE_MB instead of the 30 MB default. The file's own limit is enforced
/// while it is stored, with the reference API's message.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class StreamedUploadAttribute : Attribute, IResourceFilter
{
    // Room for the multipart framing and small fields around the file.
    private const long MultipartOverheadBytes = 1024 * 1024;

    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        context.ValueProviderFactories.RemoveType<FormValueProviderFactory>();
        context.ValueProviderFactories.RemoveType<FormFileValueProviderFactory>();
        context.ValueProviderFactories.RemoveType<JQueryFormValueProviderFactory>();

        var maxFileBytes = context.HttpContext.RequestServices.GetRequiredService<IOptions<FileStorageOptions>>().Value.MaxFileSizeBytes;
        var maxBodyBytes = maxFileBytes + MultipartOverheadBytes;
        // A body declared larger than any acceptable upload is refused before a byte is read, in the
        // same words as one found too large while streaming.
        if (context.HttpContext.Request.ContentLength > maxBodyBytes)
        {
            throw PayloadTooLargeException.ForFile(maxFileBytes);
        }

        var bodyLimit = context.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (bodyLimit is { IsReadOnly: false })
        {
            bodyLimit.MaxRequestBodySize = maxBodyBytes;
        }
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}
