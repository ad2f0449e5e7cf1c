using System.Text;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.Execution;

namespace SoulBox.Grains.Tests;

public sealed class OutputCollectorTests
{
    [Fact]
    public void ACharacterSplitAcrossChunks_IsDeliveredWhole()
    {
        var collector = new OutputCollector();
        var euro = Encoding.UTF8.GetBytes("€");

        var first = collector.Add(OutputStream.Stdout, [(byte)'a', euro[0]]);
        var second = collector.Add(OutputStream.Stdout, [euro[1], euro[2], (byte)'b']);

        Assert.Equal("a", first?.Text);
        Assert.Equal("€b", second?.Text);
        Assert.Equal("a€b", collector.Stdout);
    }

    [Fact]
    public void StreamsAreKeptApart()
    {
        var collector = new OutputCollector();

        collector.Add(OutputStream.Stdout, "out"u8.ToArray());
        var err = collector.Add(OutputStream.Stderr, "err"u8.ToArray());

        Assert.Equal(OutputKind.Stderr, err?.Kind);
        Assert.Equal("out", collector.Stdout);
        Assert.Equal("err", collector.Stderr);
    }
}
