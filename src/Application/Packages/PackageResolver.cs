using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Application.Packages;

/// <summary>
/// Turns a run's <see cref="PackageNeeds"/> into what its sandbox mounts: nothing when the executor image
/// satisfies every requirement, else the environment of the missing ones, built from the server's package
/// source (refused when there is none). Detected imports never refuse a run: one that cannot be had is a note.
/// </summary>
internal sealed class PackageResolver(IPackageEnvironments environments)
{
    /// <exception cref="RequestValidationException">A requirement is missing and cannot be had, or its build failed.</exception>
    public async Task<PreparedPackages> PrepareAsync(PackageNeeds needs, string? image, CancellationToken cancellationToken)
    {
        if (needs.IsEmpty)
        {
            return PreparedPackages.None;
        }

        var installed = await environments.InstalledAsync(image, cancellationToken).ConfigureAwait(false);
        // Markers are evaluated against the image, as pip would there: a requirement for another Python is left out.
        if (!needs.Requirements.TryForEnvironment(installed.MarkerEnvironment, out var applying, out var markerError))
        {
            throw new RequestValidationException("requirements", $"requirements: {markerError}");
        }

        var missing = RequirementSet.Empty.With(applying.Requirements.Where(r => !installed.Satisfies(r)));
        var detected = Undetermined(needs, installed);
        if (environments.Source is null)
        {
            if (!missing.IsEmpty)
            {
                throw Unavailable(missing.Requirements.Select(r => r.Name));
            }

            return detected.Count == 0
                ? PreparedPackages.None
                : new PreparedPackages(null, $"note: not installed, and no package source is configured: {string.Join(", ", detected)}");
        }

        // Each detected module's distribution, as the source tells (a wheelhouse), or its own name (an index).
        var modules = await environments.SourceModulesAsync(cancellationToken).ConfigureAwait(false);
        var guessed = new List<Requirement>();
        var absent = new List<string>();
        foreach (var module in detected)
        {
            var distribution = modules is null ? module : modules.GetValueOrDefault(module);
            if (distribution is not null && Requirement.TryParse(distribution, out var requirement, out _))
            {
                guessed.Add(requirement);
            }
            else
            {
                absent.Add(module);
            }
        }

        var note = absent.Count > 0 ? $"note: detected imports are not in {environments.Source}: {string.Join(", ", absent)}" : null;
        if (guessed.Count > 0)
        {
            try
            {
                var lease = await environments.AcquireAsync(missing.With(guessed), image, cancellationToken).ConfigureAwait(false);
                return new PreparedPackages(lease, note);
            }
            catch (RequestValidationException)
            {
                // A detected import is a guess: build what was asked for without it.
                note = $"note: detected imports could not be installed from {environments.Source}: {string.Join(", ", detected)}";
            }
        }

        return missing.IsEmpty
            ? new PreparedPackages(null, note)
            : new PreparedPackages(await environments.AcquireAsync(missing, image, cancellationToken).ConfigureAwait(false), note);
    }

    /// <summary>
    /// Refuses now what the run would refuse later for want of a package source (a submitted execution learns it
    /// from the submit); with a source, the build happens in the run.
    /// </summary>
    public async Task RefuseUnavailableAsync(PackageNeeds needs, string? image, CancellationToken cancellationToken)
    {
        if (environments.Source is null && !needs.Requirements.IsEmpty)
        {
            using var _ = await PrepareAsync(needs with { ScannedSources = [] }, image, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The refusal of packages that no source can provide; python-executor's facade answers its exact text.</summary>
    public static RequestValidationException Unavailable(IEnumerable<string> names) =>
        new("requirements", $"packages not available: {string.Join(", ", names)} (no package source configured)");

    // Imported modules neither the standard library, the project, the image nor an explicit requirement provides.
    private static List<string> Undetermined(PackageNeeds needs, InstalledPackages installed)
    {
        if (!needs.DetectsImports)
        {
            return [];
        }

        var required = needs.Requirements.Requirements.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        return
        [
            .. ImportScanner.Find(needs.ScannedSources).Where(m =>
                !installed.StandardLibrary.Contains(m) && !installed.Modules.Contains(m) && !needs.ProjectModules.Contains(m)
                && !required.Contains(Requirement.Canonical(m))),
        ];
    }
}
