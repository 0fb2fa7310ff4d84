using System.Buffers.Binary;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Tests.Protocol;

public sealed class RunnerFrameReaderTests
{
    private static byte[] Frame(char type, byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    [Test]
    public void Cuts_frames_that_arrive_one_byte_at_a_time()
    {
        var reader = new RunnerFrameReader(new RunnerFrameLimits());
        var bytes = Frame('R', []).Concat(Frame('S', [])).Concat(Frame('o', "hi\n"u8.ToArray())).ToArray();
        var frames = new List<RunnerFrame>();

        foreach (var b in bytes)
        {
            reader.Feed([b], frames);
        }

        frames.Select(f => f.Type).Should().Equal(RunnerFrameType.Ready, RunnerFrameType.Started, RunnerFrameType.Stdout);
        frames[2].Payload.Should().Equal("hi\n"u8.ToArray());
        reader.AtFrameBoundary.Should().BeTrue();
    }

    [Test]
    public void Completes_an_empty_frame_at_the_end_of_a_chunk()
    {
        var reader = new RunnerFrameReader(new RunnerFrameLimits());
        var frames = new List<RunnerFrame>();

        reader.Feed(Frame('S', []), frames);

        frames.Should().ContainSingle().Which.Type.Should().Be(RunnerFrameType.Started);
    }

    [Test]
    public void Rejects_a_length_beyond_the_bound_of_its_type_before_allocating()
    {
        var reader = new RunnerFrameReader(new RunnerFrameLimits());
        var header = new byte[5];
        header[0] = (byte)'o';
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), uint.MaxValue);

        var feed = () => reader.Feed(header, new List<RunnerFrame>());

        feed.Should().Throw<RunnerProtocolException>().WithMessage("*exceeds its bound*");
    }

    [Test]
    public void A_header_within_its_bound_costs_no_more_memory_than_the_bytes_that_follow_it()
    {
        const long fiftyMegabytes = 50L * 1024 * 1024;
        var reader = new RunnerFrameReader(new RunnerFrameLimits(MaxFileBytes: fiftyMegabytes));
        var header = new byte[5];
        header[0] = (byte)'f';
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)fiftyMegabytes);
        var frames = new List<RunnerFrame>();

        var before = GC.GetAllocatedBytesForCurrentThread();
        reader.Feed(header, frames);
        reader.Feed(new byte[1000], frames);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().BeLessThan(RunnerFrameReader.InitialPayloadBytes + 16 * 1024);
        frames.Should().BeEmpty();
        reader.AtFrameBoundary.Should().BeFalse();
    }

    [Test]
    public void A_large_frame_fed_in_uneven_pieces_arrives_whole()
    {
        var payload = new byte[(3 * RunnerFrameReader.InitialPayloadBytes) + 12345];
        new Random(7).NextBytes(payload);
        var reader = new RunnerFrameReader(new RunnerFrameLimits(MaxResultBytes: payload.Length));
        var bytes = Frame('r', payload);
        var frames = new List<RunnerFrame>();

        for (var offset = 0; offset < bytes.Length; offset += 7919)
        {
            reader.Feed(bytes.AsSpan(offset, Math.Min(7919, bytes.Length - offset)), frames);
        }

        frames.Should().ContainSingle().Which.Payload.ToArray().Should().Equal(payload);
        reader.AtFrameBoundary.Should().BeTrue();
    }

    [Test]
    public void Rejects_an_unknown_frame_type()
    {
        var reader = new RunnerFrameReader(new RunnerFrameLimits());

        var feed = () => reader.Feed(Frame('Z', [1, 2]), new List<RunnerFrame>());

        feed.Should().Throw<RunnerProtocolException>().WithMessage("*unexpected frame type*");
    }

    [Test]
    public void Rejects_a_payload_on_a_frame_that_carries_none()
    {
        var reader = new RunnerFrameReader(new RunnerFrameLimits());

        var feed = () => reader.Feed(Frame('S', [1]), new List<RunnerFrame>());

        feed.Should().Throw<RunnerProtocolException>();
    }

    [Test]
    public void Knows_when_a_stream_ends_inside_a_frame()
    {
        var reader = new RunnerFrameReader(new RunnerFrameLimits());
        var frames = new List<RunnerFrame>();

        reader.Feed(Frame('o', [1, 2, 3]).AsSpan(0, 6), frames);

        frames.Should().BeEmpty();
        reader.AtFrameBoundary.Should().BeFalse();
    }
}
