namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>How far a sandbox's runner has booted (docker/executor/PROTOCOL.md, "Boot").</summary>
internal enum SandboxBoot
{
    /// <summary>Started; waiting for the request, or for the word to import its preloads first.</summary>
    Booted,

    /// <summary>Preloads imported (or none); waiting for the request.</summary>
    Ready,
}
