using System.Text;
using Microsoft.Extensions.Options;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.Execution;
using SoulBox.Grains.Hosting;

namespace SoulBox.Grains.Tests;

public sealed class RichResultCollectorTests
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void StreamedResults_AreTheFirstItemsOfTheFinalList_ThenTheMainOne()
    {
        var collector = new RichResultCollector();
        var first = collector.Add(Json("{\"text/html\": \"<b>1</b>\", \"text/plain\": \"one\"}"));
        var second = collector.Add(Json("{\"image/png\": \"iVBORw0KGgo=\"}"));

        var results = collector.Final("'value'", new() { ["text/html"] = "<i>v</i>" });

        Assert.Equal(3, results.Length);
        Assert.Same(first?.Result, results[0]);
        Assert.Same(second?.Result, results[1]);
        Assert.False(results[0].IsMainResult);
        Assert.True(results[2].IsMainResult);
        Assert.Equal("'value'", results[2].Data["text/plain"]);
        Assert.Equal("<i>v</i>", results[2].Data["text/html"]);
    }

    [Fact]
    public void AValueWithOnlyItsRepr_IsAMainResultWithTextPlain_AndNoValueIsNoMainResult()
    {
        var plain = new RichResultCollector().Final("2", null);
        var main = Assert.Single(plain);
        Assert.True(main.IsMainResult);
        Assert.Equal(new Dictionary<string, string> { ["text/plain"] = "2" }, main.Data);
        Assert.Empty(new RichResultCollector().Final(null, null));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("{\"text/plain\": 3}")]
    [InlineData("{}")]
    public void APayloadThatIsNotAMimeMapOfStrings_IsIgnored(string payload)
    {
        var collector = new RichResultCollector();
        Assert.Null(collector.Add(Json(payload)));
        Assert.Empty(collector.Final(null, null));
    }

    [Fact]
    public void PastTheRunsBound_ResultsStillStreamButAreNoLongerKept_AsAPrefix()
    {
        var collector = new RichResultCollector();
        var big = Json("{\"text/plain\": \"" + new string('x', 1536 * 1024) + "\"}");
        var streamed = Enumerable.Range(0, 6).Select(_ => collector.Add(big)).ToList();
        var small = collector.Add(Json("{\"text/plain\": \"small\"}"));

        Assert.All(streamed, e => Assert.NotNull(e?.Result));
        Assert.NotNull(small?.Result);
        // Five 1.5 MiB results fit the run's 8 MiB; the sixth does not, and nothing after it is kept either.
        Assert.Equal(5, collector.Final(null, null).Length);
        Assert.True(6L * big.Length > AgentProtocol.MaxRunResultBytes);

        var tooLarge = Json("{\"text/plain\": \"" + new string('x', AgentProtocol.MaxResultBytes) + "\"}");
        Assert.Null(new RichResultCollector().Add(tooLarge));
    }

    [Fact]
    public void ATenantsBudget_BoundsWhatIsKept()
    {
        var budget = new RetainedOutputBudget(Options.Create(new SandboxOptions { MaxRetainedOutputBytesPerTenant = 1000, MaxRetainedOutputBytesPerNode = 1_000_000 }));
        using var lease = budget.Open("t");
        var collector = new RichResultCollector(lease);
        collector.Add(Json("{\"text/plain\": \"" + new string('a', 300) + "\"}"));
        collector.Add(Json("{\"text/plain\": \"" + new string('b', 300) + "\"}"));

        Assert.Single(collector.Final(null, null));
        Assert.True(budget.Held <= 1000);
    }
}
