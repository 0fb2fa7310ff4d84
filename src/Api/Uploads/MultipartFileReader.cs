using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CodeInterpreter.Api.Uploads;

/// <summary>A file part of a multipart body, positioned at its first byte and not yet read.</summary>
/// <param name="FileName">The name the client gave, unsanitised; null when it gave none.</param>
internal sealed record MultipartFile(string? FileName, Stream Content);

/// <summary>
/// Finds one file field in a <c>multipart/form-data</c> request body while it streams in: nothing is
/// buffered, so the caller can store the content and stop at its size limit.
/// </summary>
internal static class MultipartFileReader
{
    private const int BoundaryLengthLimit = 70;

    /// <summary>The part named <paramref name="fieldName"/>; null when the body is not multipart or has none.</summary>
    public static async Task<MultipartFile?> FindAsync(HttpRequest request, string fieldName, CancellationToken cancellationToken)
    {
        if (Open(request) is not { } reader)
        {
            return null;
        }

        while (await NextSectionAsync(reader, cancellationToken).ConfigureAwait(false) is { } section)
        {
            if (FieldOf(section) is { } field && string.Equals(field.Name, fieldName, StringComparison.Ordinal))
            {
                return new MultipartFile(field.FileName, new MultipartContentStream(section.Body));
            }

            // Other fields are skipped; the reader drains them on the way to the next part.
        }

        return null;
    }

    /// <summary>A reader of the body's parts as they stream in; null when the body is not <c>multipart/form-data</c>.</summary>
    public static MultipartReader? Open(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        return string.IsNullOrWhiteSpace(boundary) || boundary.Length > BoundaryLengthLimit
            ? throw Malformed($"the multipart boundary is missing or longer than {BoundaryLengthLimit} characters", null)
            : new MultipartReader(boundary, request.Body);
    }

    /// <summary>The form field a part carries (its name, and its file name when it is a file); null for anything else.</summary>
    public static (string Name, string? FileName)? FieldOf(MultipartSection section)
    {
        if (section.GetContentDispositionHeader() is not { } disposition
            || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(disposition.Name).Value is not { } name)
        {
            return null;
        }

        var fileName = disposition.FileNameStar.HasValue
            ? disposition.FileNameStar.Value
            : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
        return (name, fileName);
    }

    /// <summary>The next part, or null after the last; a broken body is a 400.</summary>
    public static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (MultipartContentStream.IsMalformedBody(ex))
        {
            throw Malformed(ex.Message, ex);
        }
    }

    internal static BadHttpRequestException Malformed(string reason, Exception? inner) => inner is null
        ? new($"The multipart/form-data body is malformed: {reason}", StatusCodes.Status400BadRequest)
        : new($"The multipart/form-data body is malformed: {reason}", StatusCodes.Status400BadRequest, inner);
}
