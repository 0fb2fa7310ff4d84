using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CodeInterpreter.Api.Uploads;
using CodeInterpreter.Application.Common.Exceptions;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>
/// JSON as python-executor's server reads it: snake_case names matched in any case (Go's decoder),
/// unknown fields ignored, strict types (a string is not a number). What cannot be read is a 400.
/// </summary>
internal static class PyExecJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.Strict,
        RespectNullableAnnotations = true,
    };

    /// <summary>Reads at most <paramref name="maxBytes"/> of <paramref name="body"/> as one <typeparamref name="T"/>, as it streams in.</summary>
    /// <exception cref="RequestValidationException">Not JSON, not the expected types, or empty.</exception>
    /// <exception cref="PayloadTooLargeException">Longer than <paramref name="maxBytes"/>.</exception>
    public static async Task<T> ReadAsync<T>(Stream body, string what, long maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        var limited = new LimitedRequestBody(
            body, maxBytes, () => new PayloadTooLargeException($"{what} exceeds maximum of {maxBytes} bytes", maxBytes));
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(limited, Options, cancellationToken).ConfigureAwait(false)
                ?? throw new RequestValidationException(what, $"{what} must be a JSON object, not null");
        }
        catch (JsonException ex)
        {
            throw new RequestValidationException(what, $"{what} is not valid JSON of the expected shape: {Describe(ex)}");
        }
    }

    private static string Describe(JsonException ex)
    {
        var text = new StringBuilder(ex.Message.Split(" Path:", 2)[0]);
        if (ex.Path is { Length: > 0 } path)
        {
            text.Append(" (at ").Append(path).Append(')');
        }

        return text.ToString();
    }
}
