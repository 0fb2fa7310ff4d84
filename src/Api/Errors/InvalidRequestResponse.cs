using Microsoft.AspNetCore.Mvc;

namespace CodeInterpreter.Api.Errors;

/// <summary>
/// Shape errors found by model binding (bad JSON, wrong types, missing fields) answer 422 with
/// problem details, as the reference API answers them.
/// </summary>
internal static class InvalidRequestResponse
{
    public static IActionResult Create(ActionContext context)
    {
        var problem = new ValidationProblemDetails(context.ModelState)
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "Invalid request",
        };
        // A body that is not JSON also leaves the bound parameter missing; that echo says nothing new.
        if (problem.Errors.Count > 1)
        {
            foreach (var parameter in context.ActionDescriptor.Parameters)
            {
                problem.Errors.Remove(parameter.Name);
            }
        }

        problem.Detail = string.Join(" ", problem.Errors.Select(e => $"{Describe(e.Key)}: {string.Join(" ", e.Value)}"));
        return new ObjectResult(problem)
        {
            StatusCode = StatusCodes.Status422UnprocessableEntity,
            ContentTypes = { "application/problem+json" },
        };
    }

    private static string Describe(string key) => key is "" or "$" ? "body" : key.TrimStart('$', '.');
}
