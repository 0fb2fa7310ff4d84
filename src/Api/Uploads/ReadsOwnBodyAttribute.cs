using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace CodeInterpreter.Api.Uploads;

/// <summary>
/// For actions that read the request body themselves (a multipart body as it streams in, with
/// <see cref="MultipartFileReader"/>, or JSON whatever its content type): model binding must not read
/// a form body first, which would buffer all of it and leave the action nothing to read.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ReadsOwnBodyAttribute : Attribute, IResourceFilter
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
