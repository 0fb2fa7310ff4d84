using System.Globalization;
using System.Text.Json;
using CodeInterpreter.Api.PythonExecutor;
using CodeInterpreter.Application.Common.Options;

namespace CodeInterpreter.Api.Tests.PythonExecutor;

/// <summary>python-executor's config clamped onto this server's limits, and its timestamp format.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class PyExecConfigTests
{
    private static readonly ExecutionOptions Limits = new() { MaxExecTimeoutMs = 60_000, MaxMemoryLimitMb = 512, MemoryLimitMb = 256 };
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    [Test]
    public void The_python_clients_defaults_are_clamped_to_the_server_maxima_not_refused()
    {
        var config = JsonSerializer.Deserialize<PyExecConfig>(
            """{"timeout_seconds": 300, "memory_mb": 1024, "disk_mb": 2048, "cpu_shares": 1024, "network_disabled": true}""", Json)!;

        config.TimeoutMs(Limits).Should().Be(60_000);
        config.MemoryLimitMb(Limits).Should().Be(512);
        config.Network.Should().BeFalse();
    }

    [Test]
    public void Values_within_the_limits_are_kept()
    {
        var config = new PyExecConfig { TimeoutSeconds = 2, MemoryMb = 128, NetworkDisabled = false };

        config.TimeoutMs(Limits).Should().Be(2000);
        config.MemoryLimitMb(Limits).Should().Be(128);
        config.Network.Should().BeTrue();
    }

    [Test]
    public void Zero_or_absent_means_the_default()
    {
        foreach (var config in new[] { new PyExecConfig(), new PyExecConfig { TimeoutSeconds = 0, MemoryMb = 0 } })
        {
            config.TimeoutMs(new ExecutionOptions { MaxExecTimeoutMs = 600_000 }).Should().Be(PyExecConfig.DefaultTimeoutSeconds * 1000);
            config.MemoryLimitMb(Limits).Should().BeNull("the server's MEMORY_LIMIT_MB applies");
            config.Network.Should().BeFalse();
        }
    }

    [Test]
    public void A_huge_timeout_does_not_overflow()
    {
        new PyExecConfig { TimeoutSeconds = int.MaxValue }.TimeoutMs(Limits).Should().Be(60_000);
    }

    [Test]
    public void Timestamps_are_utc_with_six_fraction_digits_and_z()
    {
        var at = new DateTimeOffset(2026, 12, 2, 13, 4, 5, TimeSpan.FromHours(2)).AddTicks(1234567);

        var text = PyExecTimestamp.Format(at);

        text.Should().Be("2026-12-02T11:04:05.123456Z");
        DateTimeOffset.Parse(text!, CultureInfo.InvariantCulture).Should().BeCloseTo(at, TimeSpan.FromMicroseconds(1));
        PyExecTimestamp.Format(null).Should().BeNull();
    }
}
