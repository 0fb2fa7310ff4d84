using System.Text;
using NJsonSchema;
using NJsonSchema.CodeGeneration;
using NJsonSchema.CodeGeneration.CSharp;

namespace CodeInterpreter.ClientGenerator;

/// <summary>
/// C# property names from the service's snake_case JSON names: <c>timeout_ms</c> becomes
/// <c>TimeoutMs</c> (NSwag's default would be <c>Timeout_ms</c>). The JSON names are kept on the wire.
/// </summary>
internal sealed class PascalCasePropertyNameGenerator : IPropertyNameGenerator
{
    private readonly CSharpPropertyNameGenerator _nswagDefault = new();

    public string Generate(JsonSchemaProperty property)
    {
        var name = _nswagDefault.Generate(property);
        var parts = name.Split('_', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length <= 1)
        {
            return name;
        }

        var builder = new StringBuilder(name.Length);
        foreach (var part in parts)
        {
            builder.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        }

        var pascal = builder.ToString();
        // A name that started with a digit stays a valid identifier.
        return char.IsDigit(pascal[0]) ? "_" + pascal : pascal;
    }
}
