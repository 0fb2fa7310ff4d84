using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace CodeInterpreter.Api.Uploads;

/// <summary>
/// For actions that read a multipart body as it streams in (<see cref="MultipartFileReader"/>): model
/// binding must not read the form first, which would buffer all of it and leave nothing to stream.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class StreamedFormAttribute : Attribute, IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context) => RemoveFormBinding(context);

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }

    /// <summary>Takes the form's value providers out of <paramref name="context"/>'s model binding.</summary>
    public static void RemoveFormBinding(ResourceExecutingContext context)
    {
        context.ValueProviderFactories.RemoveType<FormValueProviderFactory>();
        context.ValueProviderFactories.RemoveType<FormFileValueProviderFactory>();
        context.ValueProviderFactories.RemoveType<JQueryFormValueProviderFactory>();
    }
}
