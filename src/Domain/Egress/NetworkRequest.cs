namespace CodeInterpreter.Domain.Egress;

/// <summary>One request the code made through the egress proxy, from the proxy's access log.</summary>
/// <param name="Host">The host it asked for.</param>
/// <param name="Port">The port it asked for.</param>
/// <param name="Allowed">False when the proxy refused it (not on the allow-list, or a denied address).</param>
/// <param name="Bytes">Bytes through the proxy, both ways.</param>
public sealed record NetworkRequest(string Host, int Port, bool Allowed, long Bytes);
