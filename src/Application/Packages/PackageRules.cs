using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Application.Packages;

/// <summary>The rule of a request's <c>requirements</c>: each line a named requirement (PEP 508), refused with the line named (422).</summary>
internal static class PackageRules
{
    /// <summary>Refuses requirements that do not parse.</summary>
    public static void CheckRequirements(IReadOnlyList<string> requirements)
    {
        if (!RequirementSet.TryParse(requirements, out _, out var error))
        {
            throw new RequestValidationException("requirements", $"requirements: {error}");
        }
    }

    /// <summary>The requirements of a request its rules passed (a rule-breaking one here is a bug, not a bad request).</summary>
    public static RequirementSet Checked(IReadOnlyList<string> requirements) =>
        RequirementSet.TryParse(requirements, out var set, out var error)
            ? set
            : throw new InvalidOperationException($"Requirements that were not checked reached a use case: {error}");
}
