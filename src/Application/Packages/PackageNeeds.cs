using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Application.Packages;

/// <summary>
/// What a run needs of packages: its checked <see cref="Requirements"/>, and, when it asks for import
/// detection, the Python sources to scan and the modules its own project provides.
/// </summary>
internal sealed record PackageNeeds(RequirementSet Requirements, IReadOnlyList<string> ScannedSources, IReadOnlySet<string> ProjectModules)
{
    /// <summary>Nothing needed: the run goes the way it always did.</summary>
    public static readonly PackageNeeds None = new(RequirementSet.Empty, [], new HashSet<string>());

    /// <summary>Whether imports are detected.</summary>
    public bool DetectsImports => ScannedSources.Count > 0;

    /// <summary>Whether anything is to be resolved before the run.</summary>
    public bool IsEmpty => Requirements.IsEmpty && !DetectsImports;
}
