using System.Buffers.Binary;
using System.Net;

namespace CodeInterpreter.Infrastructure.Egress;

/// <summary>
/// The /29 blocks of EGRESS_SUBNET_POOL handed to sandboxes' internal networks. A block is this process's from
/// <see cref="Take"/> until <see cref="Return"/> (after its network was deleted); the search starts after the last
/// block taken, from a random place at first, so two services on one engine rarely ask for the same block, and a block
/// comes back into use as late as possible.
/// </summary>
internal sealed class EgressSubnets
{
    private readonly uint _first;
    private readonly int _count;
    private readonly HashSet<int> _taken = [];
    private readonly Lock _lock = new();
    private int _next;

    public EgressSubnets(string pool)
    {
        var network = IPNetwork.Parse(pool);
        _first = BinaryPrimitives.ReadUInt32BigEndian(network.BaseAddress.GetAddressBytes());
        _count = 1 << (EgressOptions.SandboxSubnetPrefix - network.PrefixLength);
        _next = Random.Shared.Next(_count);
    }

    /// <summary>How many blocks the pool holds.</summary>
    public int Count => _count;

    /// <summary>A block no sandbox of this process has; null when every one is taken.</summary>
    public EgressSubnet? Take()
    {
        lock (_lock)
        {
            for (var i = 0; i < _count; i++)
            {
                var index = (_next + i) % _count;
                if (_taken.Add(index))
                {
                    _next = (index + 1) % _count;
                    return new EgressSubnet(index, _first + ((uint)index << (32 - EgressOptions.SandboxSubnetPrefix)));
                }
            }

            return null;
        }
    }

    /// <summary>Gives a block back (its network is gone).</summary>
    public void Return(EgressSubnet subnet)
    {
        lock (_lock)
        {
            _taken.Remove(subnet.Index);
        }
    }
}

/// <summary>
/// One /29: its first usable address is the engine's gateway (reserved, unused: the network is internal and its
/// bridge has no address), then the proxy, then the sandbox.
/// </summary>
internal sealed record EgressSubnet(int Index, uint Base)
{
    public string Cidr => $"{Address(0)}/{EgressOptions.SandboxSubnetPrefix}";

    public string Gateway => Address(1);

    public string ProxyAddress => Address(2);

    public string SandboxAddress => Address(3);

    private string Address(uint offset)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, Base + offset);
        return new IPAddress(bytes).ToString();
    }
}

/// <summary>
/// A sandbox's own internal network, shared with the proxy alone: the sandbox is created on it at
/// <see cref="SandboxAddress"/> and finds the proxy at <see cref="ProxyUrl"/>.
/// </summary>
internal sealed record EgressAttachment(string Network, EgressSubnet Subnet)
{
    public string SandboxAddress => Subnet.SandboxAddress;

    public string ProxyUrl => $"http://{Subnet.ProxyAddress}:{SquidConfiguration.Port}";
}
