namespace CodeInterpreter.Application.Packages;

/// <summary>The cached package environments, most recently used first.</summary>
public sealed record ListEnvironmentsQuery : IQuery<IReadOnlyList<PackageEnvironmentInfo>>;

internal sealed class ListEnvironmentsHandler(IPackageEnvironments environments)
    : IQueryHandler<ListEnvironmentsQuery, IReadOnlyList<PackageEnvironmentInfo>>
{
    public async ValueTask<IReadOnlyList<PackageEnvironmentInfo>> Handle(ListEnvironmentsQuery query, CancellationToken cancellationToken) =>
        await environments.ListAsync(cancellationToken).ConfigureAwait(false);
}
