using NJsonSchema;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace CodeInterpreter.Api.Uploads;

/// <summary>
/// Documents a <c>multipart/form-data</c> body with one required binary field, for actions that read
/// the body themselves (so there is no parameter NSwag could describe it from).
/// </summary>
internal sealed class MultipartFileUploadProcessor(string fieldName, string description) : IOperationProcessor
{
    public bool Process(OperationProcessorContext context)
    {
        var schema = new JsonSchema { Type = JsonObjectType.Object };
        schema.Properties[fieldName] = new JsonSchemaProperty
        {
            Type = JsonObjectType.String,
            Format = JsonFormatStrings.Binary,
            Description = description,
        };
        schema.RequiredProperties.Add(fieldName);

        var body = new OpenApiRequestBody { IsRequired = true };
        body.Content["multipart/form-data"] = new OpenApiMediaType { Schema = schema };
        context.OperationDescription.Operation.RequestBody = body;
        return true;
    }
}
