using System.Globalization;
using CodeInterpreter.Application.Common.Exceptions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace CodeInterpreter.Api.Errors;

/// <summary>
/// The one place where expected failures become RFC 7807 problem details. Unexpected exceptions
/// become a 500 that names no internals.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the sandbox was killed on the way out. Nobody to answer.
            return true;
        }

        var problem = exception switch
        {
            RequestValidationException validation => Validation(validation),
            NotFoundException => Problem(StatusCodes.Status404NotFound, "Not found", exception.Message),
            GoneException => Problem(StatusCodes.Status410Gone, "Gone", exception.Message),
            ForbiddenException => Problem(StatusCodes.Status403Forbidden, "Forbidden", exception.Message),
            ConflictException => Problem(StatusCodes.Status409Conflict, "Conflict", exception.Message),
            PayloadTooLargeException => Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", exception.Message),
            StorageQuotaExceededException { CallersShare: true } => Problem(StatusCodes.Status413PayloadTooLarge, "File store share used up", exception.Message),
            StorageQuotaExceededException => Problem(StatusCodes.Status507InsufficientStorage, "File store full", exception.Message),
            ServiceUnavailableException unavailable => Unavailable(httpContext, unavailable),
            TooManyRequestsException busy => Busy(httpContext, busy),
            SandboxFailedException => Problem(StatusCodes.Status502BadGateway, "Sandbox failure", exception.Message),
            BadHttpRequestException bad => Problem(bad.StatusCode, "Bad request", bad.Message),
            _ => null,
        };

        if (problem is null)
        {
            LogUnexpected(exception, httpContext.Request.Path);
            problem = Problem(StatusCodes.Status500InternalServerError, "Internal error",
                "The service failed unexpectedly; the error has been logged.");
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        if (await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        }).ConfigureAwait(false))
        {
            return true;
        }

        // The client accepts no JSON (a download asks for application/octet-stream only): answer the
        // problem details all the same, or the reason (which file is unknown) would be lost.
        await httpContext.Response.WriteAsJsonAsync(problem, problem.GetType(), options: null,
            contentType: "application/problem+json", cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static ValidationProblemDetails Validation(RequestValidationException exception) =>
        new(new Dictionary<string, string[]> { [exception.Field] = [exception.Message] })
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "Invalid request",
            Detail = exception.Message,
        };

    private static ProblemDetails Unavailable(HttpContext httpContext, ServiceUnavailableException exception)
    {
        SetRetryAfter(httpContext, exception.RetryAfter);
        return Problem(StatusCodes.Status503ServiceUnavailable, "Service unavailable", exception.Message);
    }

    private static ProblemDetails Busy(HttpContext httpContext, TooManyRequestsException exception)
    {
        SetRetryAfter(httpContext, exception.RetryAfter);
        return Problem(StatusCodes.Status429TooManyRequests, "Too many requests", exception.Message);
    }

    private static void SetRetryAfter(HttpContext httpContext, TimeSpan retryAfter) =>
        httpContext.Response.Headers.RetryAfter =
            Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static ProblemDetails Problem(int status, string title, string detail) =>
        new() { Status = status, Title = title, Detail = detail };

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception on {Path}")]
    private partial void LogUnexpected(Exception exception, PathString path);
}
