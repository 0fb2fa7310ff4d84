using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>An image with numpy 1.24.2 and the standard library's <c>json</c>; builds recorded, failing for <see cref="Unbuildable"/>.</summary>
internal sealed class FakePackageEnvironments : IPackageEnvironments
{
    public string? Source { get; set; }

    public List<RequirementSet> Built { get; } = [];

    public HashSet<string> Unbuildable { get; } = [];

    /// <summary>What the source says of its modules; null = it cannot tell (an index).</summary>
    public Dictionary<string, string>? SourceModules { get; set; }

    public Task<IReadOnlyDictionary<string, string>?> SourceModulesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>?>(SourceModules);

    public Task<InstalledPackages> InstalledAsync(string? image, CancellationToken cancellationToken)
    {
        _ = PackageVersion.TryParse("1.24.2", out var numpy);
        return Task.FromResult(new InstalledPackages(
            new Dictionary<string, PackageVersion> { ["numpy"] = numpy! },
            new HashSet<string> { "numpy", "json" },
            new HashSet<string> { "json" },
            new Dictionary<string, string> { ["python_version"] = "3.11", ["sys_platform"] = "linux" }));
    }

    public Task<PackageEnvironmentLease> AcquireAsync(RequirementSet requirements, string? image, CancellationToken cancellationToken)
    {
        if (requirements.Requirements.Any(r => Unbuildable.Contains(r.Name)))
        {
            throw new RequestValidationException("requirements", "building the package environment failed (pip): no such package");
        }

        Built.Add(requirements);
        return Task.FromResult(new PackageEnvironmentLease(requirements.Hash, "env-" + requirements.Hash[..8], () => { }));
    }

    public Task<IReadOnlyList<PackageEnvironmentInfo>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PackageEnvironmentInfo>>([]);

    public Task<bool> DeleteAsync(string hash, CancellationToken cancellationToken) => Task.FromResult(false);
}
