using Microsoft.AspNetCore.Mvc;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>
/// Every error under <c>/api/v1</c> in python-executor's own shape, <c>{"error": "..."}</c>, never
/// problem details: the one writer that the exception handler, the status code pages and the API key
/// check all go through. Its clients know 400 for a bad request, so a refusal this service answers
/// 422 or 403 elsewhere (limits, network not allowed) is 400 here.
/// </summary>
internal sealed class PyExecErrorWriter : IProblemDetailsWriter
{
    public static readonly PathString Prefix = new("/api/v1");

    public bool CanWrite(ProblemDetailsContext context) => context.HttpContext.Request.Path.StartsWithSegments(Prefix);

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var response = context.HttpContext.Response;
        var status = context.ProblemDetails.Status ?? response.StatusCode;
        response.StatusCode = status is StatusCodes.Status422UnprocessableEntity or StatusCodes.Status403Forbidden
            ? StatusCodes.Status400BadRequest
            : status;
        var message = context.ProblemDetails.Detail ?? context.ProblemDetails.Title ?? ReasonOf(response.StatusCode);
        return new ValueTask(response.WriteAsJsonAsync(new PyExecError(message), context.HttpContext.RequestAborted));
    }

    private static string ReasonOf(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : $"HTTP {status}";
}
