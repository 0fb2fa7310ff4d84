using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Api.Uploads;

/// <summary>
/// For actions that stream a multipart body themselves (<see cref="MultipartFileReader"/>): model
/// binding must not read the form first (it would buffer the whole upload), and the body is limited
/// by MAX_FILE_SIZE_MB instead of the server's 30 MB default. The file's own limit is enforced while
/// it is stored, with the reference API's message.
/// </summary>
/// <remarks>
/// A too-large upload is answered 413 only after the rest of its body has been read and discarded,
/// up to <see cref="OversizedBody.DrainBound"/>: Python's requests and httpx send the whole body
/// before they read the answer, and a server that closes while they are still sending leaves them
/// with a broken pipe instead of the 413.
/// </remarks>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class StreamedUploadAttribute : Attribute, IAsyncResourceFilter
{
    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        ReadsOwnBodyAttribute.RemoveFormBinding(context);

        var httpContext = context.HttpContext;
        var limits = new OversizedBody(httpContext.RequestServices.GetRequiredService<IOptions<FileStorageOptions>>().Value.MaxFileSizeBytes);
        // The server's own limit is the drain bound, so draining an oversized body never trips it;
        // what an upload may really be is enforced below, with our message.
        var serverLimit = httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (serverLimit is { IsReadOnly: false })
        {
            serverLimit.MaxRequestBodySize = limits.DrainBound;
        }

        var body = httpContext.Request.Body;
        // A body declared larger than any acceptable upload is refused before a byte is stored, in
        // the same words as one found too large while streaming.
        if (httpContext.Request.ContentLength > limits.MaxBodyBytes)
        {
            await limits.DrainAsync(httpContext, body).ConfigureAwait(false);
            throw limits.TooLarge();
        }

        httpContext.Request.Body = new LimitedRequestBody(body, limits.MaxBodyBytes, limits.TooLarge);
        ResourceExecutedContext executed;
        try
        {
            executed = await next().ConfigureAwait(false);
        }
        finally
        {
            httpContext.Request.Body = body;
        }

        if (executed is { Exception: PayloadTooLargeException or StorageQuotaExceededException, ExceptionHandled: false })
        {
            await limits.DrainAsync(httpContext, body).ConfigureAwait(false);
        }
    }
}
