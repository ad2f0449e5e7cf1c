using SoulBox.Agent.Protocol;

namespace SoulBox.Grains.Tests;

/// <summary>The pure credit logic both ends of the agent connection share.</summary>
public sealed class CreditTests
{
    private const int Window = AgentProtocol.CreditWindowBytes;

    [Fact]
    public void TheWindow_HoldsTwoFullFileChunks()
    {
        Assert.True(2 * AgentProtocol.CreditCost(AgentProtocol.MaxPayloadChunkBytes) <= Window);
    }

    [Fact]
    public void Ledger_RefusesWhatGoesPastTheWindow()
    {
        var ledger = new CreditLedger();
        Assert.True(ledger.TryReceive(Window - 10));
        Assert.True(ledger.TryReceive(10));
        Assert.False(ledger.TryReceive(1));
    }

    [Fact]
    public void Ledger_GrantsNothingForSmallOutput_ThenBatchesOfAtLeastHalfTheWindow()
    {
        var ledger = new CreditLedger();
        ledger.TryReceive(100);
        Assert.Equal(0, ledger.Consume(100));

        var granted = 0;
        var grants = 0;
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(ledger.TryReceive(AgentProtocol.CreditCost(64 * 1024)));
            if (ledger.Consume(AgentProtocol.CreditCost(64 * 1024)) is > 0 and var grant)
            {
                Assert.True(grant >= Window / 2);
                granted += grant;
                grants++;
            }
        }

        Assert.InRange(grants, 1, 1000 * AgentProtocol.CreditCost(64 * 1024) / (Window / 2));
        Assert.Equal(100 + 1000L * AgentProtocol.CreditCost(64 * 1024) - granted, ledger.Outstanding);
        Assert.True(ledger.Outstanding < Window / 2);
    }

    [Fact]
    public async Task Window_TakesAtOnceWhileCreditLasts_ThenWaitsForAGrant()
    {
        var window = new CreditWindow(1000);
        Assert.True((await window.TakeAsync(600, CancellationToken.None)));
        var waiting = window.TakeAsync(600, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        window.Grant(300);
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(100, window.Available);
    }

    [Fact]
    public async Task Window_NeverHoldsMoreThanItsSize_WhateverIsGranted()
    {
        var window = new CreditWindow(1000);
        window.Grant(1_000_000);
        Assert.Equal(1000, window.Available);
        Assert.True(await window.TakeAsync(1000, CancellationToken.None));
        Assert.Equal(0, window.Available);
    }

    [Fact]
    public async Task Window_AWaitEndsWithoutCredit_WhenCancelledOrClosed()
    {
        var window = new CreditWindow(100);
        Assert.True(await window.TakeAsync(100, CancellationToken.None));

        using var cancel = new CancellationTokenSource();
        var cancelled = window.TakeAsync(10, CancellationToken.None, cancel.Token).AsTask();
        var closed = window.TakeAsync(10, CancellationToken.None).AsTask();
        cancel.Cancel();
        Assert.False(await cancelled.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(closed.IsCompleted);

        window.Close();
        Assert.False(await closed.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(await window.TakeAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task Window_WakesEveryWaiter_AsCreditAllowsEach()
    {
        var window = new CreditWindow(100);
        Assert.True(await window.TakeAsync(100, CancellationToken.None));
        var stdout = window.TakeAsync(40, CancellationToken.None).AsTask();
        var stderr = window.TakeAsync(40, CancellationToken.None).AsTask();

        window.Grant(80);
        Assert.True(await stdout.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await stderr.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, window.Available);
    }

    [Fact]
    public async Task Window_ACostLargerThanTheWindow_TakesTheWholeWindow()
    {
        var window = new CreditWindow(100);
        Assert.True(await window.TakeAsync(500, CancellationToken.None));
        Assert.Equal(0, window.Available);
    }
}
