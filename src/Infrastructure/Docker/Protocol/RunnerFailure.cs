using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>The runner's own failure (an <c>x</c> frame).</summary>
internal sealed record RunnerFailure([property: JsonPropertyName("message")] string? Message);
