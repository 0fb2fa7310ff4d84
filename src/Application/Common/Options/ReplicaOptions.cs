using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Application.Common.Options;

/// <summary>How this replica names itself among the replicas behind one load balancer.</summary>
public sealed class ReplicaOptions
{
    /// <summary>
    /// The name every response carries in <c>X-Replica</c> and the replica registry starts this
    /// replica's id with; the host name unless set (in Kubernetes the pod's, in compose the container's).
    /// </summary>
    [ConfigurationKeyName("REPLICA_ID")]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$",
        ErrorMessage = "REPLICA_ID must be 1 to 100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.")]
    public string ReplicaId { get; set; } = Environment.MachineName;
}
