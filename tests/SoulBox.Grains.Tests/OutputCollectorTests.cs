using System.Text;
using SoulBox.Agent.Protocol;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Execution;
using SoulBox.Grains.Hosting;

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

    [Fact]
    public void PastItsCap_ChunksStillStreamButAreNotKept_AndTheStreamIsMarkedTruncated()
    {
        var collector = new OutputCollector(maxBytesPerStream: 8);

        collector.Add(OutputStream.Stdout, "12345"u8.ToArray());
        var over = collector.Add(OutputStream.Stdout, "6789"u8.ToArray());
        collector.Add(OutputStream.Stdout, "0"u8.ToArray());
        collector.Add(OutputStream.Stderr, "err"u8.ToArray());

        Assert.Equal("6789", over?.Text);
        Assert.Equal("12345", collector.Stdout);
        Assert.True(collector.StdoutTruncated);
        Assert.Equal("err", collector.Stderr);
        Assert.False(collector.StderrTruncated);
    }

    [Fact]
    public void TheRetainedOutputBudget_BoundsATenant_LeavesOthersTheirShare_AndIsGivenBackOnDispose()
    {
        var budget = new RetainedOutputBudget(Options.Create(new SandboxOptions
        {
            MaxOutputBytes = 10,
            MaxRetainedOutputBytesPerTenant = 10,
            MaxRetainedOutputBytesPerNode = 15,
        }));
        var attacker = budget.Open("attacker");
        var first = new OutputCollector(budget: attacker);
        var second = new OutputCollector(budget: budget.Open("attacker"));
        using var bystanderLease = budget.Open("bystander");
        var bystander = new OutputCollector(budget: bystanderLease);

        first.Add(OutputStream.Stdout, "12345678"u8.ToArray());
        second.Add(OutputStream.Stdout, "abc"u8.ToArray());
        bystander.Add(OutputStream.Stdout, "12345"u8.ToArray());
        bystander.Add(OutputStream.Stdout, "678"u8.ToArray());

        Assert.Equal("12345678", first.Stdout);
        Assert.True(second.StdoutTruncated);
        Assert.Equal("12345", bystander.Stdout);
        Assert.True(bystander.StdoutTruncated); // the node's 15 bytes are spent
        Assert.Equal(13, budget.Held);

        attacker.Dispose();
        Assert.Equal(5, budget.Held);
    }
}
