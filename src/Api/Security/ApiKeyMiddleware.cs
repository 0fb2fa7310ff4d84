using System.Security.Cryptography;
using CodeInterpreter.Application.Common;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Api.Security;

/// <summary>
/// With API_KEYS set, lets through only requests that present one of the keys as a bearer token
/// (the probes excepted) and makes the key's owner the caller for the rest of the request. Keys are
/// compared as SHA-256 hashes with a fixed-time comparison, against every key, so timing tells
/// nothing about how much of a key was right.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<ApiKeyOptions> options, IProblemDetailsService problems)
{
    private readonly IReadOnlyList<byte[]> _keyHashes = options.Value.KeyHashes();

    public async Task InvokeAsync(HttpContext context)
    {
        if (_keyHashes.Count == 0 || IsProbe(context.Request))
        {
            await next(context);
            return;
        }

        var owner = Authenticate(context.Request.Headers.Authorization.ToString());
        if (owner is null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status401Unauthorized,
                    Title = "Unauthorized",
                    Detail = "A valid API key is required: send 'Authorization: Bearer <key>'.",
                },
            });
            return;
        }

        CallerContext.Owner = owner;
        await next(context);
    }

    // Load balancers and Kubernetes probes send no credentials; liveness and readiness reveal only
    // whether code can run and how full the warm pool is.
    private static bool IsProbe(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && (request.Path.Equals("/health", StringComparison.OrdinalIgnoreCase)
            || request.Path.Equals("/health/ready", StringComparison.OrdinalIgnoreCase));

    private string? Authenticate(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var presented = ApiKeyOptions.Hash(header[scheme.Length..].Trim());
        string? owner = null;
        foreach (var key in _keyHashes)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, key))
            {
                owner = ApiKeyOptions.OwnerOf(key);
            }
        }

        return owner;
    }
}
