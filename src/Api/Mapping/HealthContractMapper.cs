using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Application.Common.Interfaces;
using Riok.Mapperly.Abstractions;

namespace CodeInterpreter.Api.Mapping;

/// <summary>Health models to API contracts.</summary>
[Mapper]
internal static partial class HealthContractMapper
{
    public static partial PoolStatusResponse ToContract(this SandboxPoolSnapshot snapshot);
}
