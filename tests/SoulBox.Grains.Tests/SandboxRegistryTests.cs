using Microsoft.Extensions.Time.Testing;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Tests;

public sealed class SandboxRegistryTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private static SandboxInfo Info(string id, string? tenant = null, params (string, string)[] metadata) => new()
    {
        Id = id, Template = "python", Node = "n", Tenant = tenant,
        Metadata = metadata.ToDictionary(p => p.Item1, p => p.Item2),
    };

    [Fact]
    public void Find_MatchesEveryMetadataPairAndTheTenant()
    {
        var registry = new SandboxRegistry(_time);
        registry.Upsert(Info("n.a", "t1", ("user", "ann"), ("job", "1")));
        registry.Upsert(Info("n.b", "t1", ("user", "bob")));
        registry.Upsert(Info("n.c", "t2", ("user", "ann")));

        Assert.Equal(["n.a"], registry.Find(new Dictionary<string, string> { ["user"] = "ann" }, "t1").Select(s => s.Id));
        Assert.Equal(2, registry.Find(new Dictionary<string, string> { ["user"] = "ann" }, null).Length);
        Assert.Equal(3, registry.Find(null, null).Length);
    }

    [Fact]
    public void End_RemembersHowAndWhenASandboxEnded()
    {
        var registry = new SandboxRegistry(_time);
        registry.Upsert(Info("n.a"));

        registry.End("n.a", SandboxEnd.Expired, "its lifetime ended");

        Assert.Equal(0, registry.Count);
        var ended = registry.Ended("n.a");
        Assert.Equal(SandboxEnd.Expired, ended?.How);
        Assert.Equal(_time.GetUtcNow(), ended?.At);
    }

    [Fact]
    public void NodeLoad_PrefersTheLessLoadedNode()
    {
        var busy = new NodeLoad { Node = "a", ActiveSandboxes = 50, MaxSandboxes = 100 };
        var idle = new NodeLoad { Node = "b", ActiveSandboxes = 5, MaxSandboxes = 100 };

        Assert.True(idle.Score < busy.Score);
    }
}
