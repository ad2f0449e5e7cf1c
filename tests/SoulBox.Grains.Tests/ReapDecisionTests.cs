using System.Collections.Immutable;
using System.Net;
using Orleans.Runtime;
using SoulBox.Grains.Containers;
using SoulBox.Grains.Reaping;

namespace SoulBox.Grains.Tests;

public sealed class ReapDecisionTests
{
    private const string Engine = "ENGINE-A";
    private static readonly SiloAddress Self = Silo(11111, 100);
    private static readonly ContainerOwner Owner = new("prod", "worker-1", Self);

    private static SiloAddress Silo(int port, int generation) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), generation);

    private static ClusterMembershipSnapshot View(params (SiloAddress Silo, SiloStatus Status, string Name)[] members) =>
        new(members.ToImmutableDictionary(m => m.Silo, m => new ClusterMember(m.Silo, m.Status, m.Name)), new MembershipVersion(members.Length));

    private static Dictionary<string, string> Labels(string node, SiloAddress? silo, string cluster = "prod", string engine = Engine) => new()
    {
        [DockerContainerRuntime.NodeLabel] = node,
        [ContainerLabels.Cluster] = cluster,
        [ContainerLabels.Engine] = engine,
        [ContainerLabels.Silo] = silo?.ToParsableString() ?? "",
    };

    private static string? Decide(Dictionary<string, string> labels, ClusterMembershipSnapshot view, bool atStart = false) =>
        ReapDecision.Decide(labels, Owner, Engine, view, atStart);

    [Fact]
    public void ADeadNodesContainer_IsReapedAsDeadNode()
    {
        var dead = Silo(22222, 50);
        var view = View((Self, SiloStatus.Active, "worker-1"), (dead, SiloStatus.Dead, "worker-2"));

        Assert.Equal(ReapReason.DeadNode, Decide(Labels("worker-2", dead), view));
    }

    [Fact]
    public void AnotherClustersContainer_IsKept_EvenWhenANodeOfThatNameIsDeadHere()
    {
        var dead = Silo(22222, 50);
        var view = View((Self, SiloStatus.Active, "worker-1"), (dead, SiloStatus.Dead, "worker-2"));

        Assert.Null(Decide(Labels("worker-2", dead, cluster: "staging"), view));
        Assert.Null(Decide(Labels("worker-1", Silo(11111, 1), cluster: "staging"), view));
    }

    [Theory]
    [InlineData(SiloStatus.Active)]
    [InlineData(SiloStatus.Joining)]
    [InlineData(SiloStatus.Created)]
    [InlineData(SiloStatus.ShuttingDown)]
    [InlineData(SiloStatus.Stopping)]
    public void ALiveNodesContainer_IsKept(SiloStatus status)
    {
        var other = Silo(22222, 50);
        var view = View((Self, SiloStatus.Active, "worker-1"), (other, status, "worker-2"));

        Assert.Null(Decide(Labels("worker-2", other), view));
    }

    [Fact]
    public void ARestartedNode_LosesOnlyTheContainersOfItsDeadIncarnation()
    {
        // worker-2 was killed and started again under the same name while this worker sweeps.
        var old = Silo(22222, 50);
        var restarted = Silo(22222, 60);
        var view = View((Self, SiloStatus.Active, "worker-1"), (old, SiloStatus.Dead, "worker-2"), (restarted, SiloStatus.Active, "worker-2"));

        Assert.Equal(ReapReason.DeadNode, Decide(Labels("worker-2", old), view));
        Assert.Null(Decide(Labels("worker-2", restarted), view));
    }

    [Fact]
    public void AContainerOnAnotherEngine_IsKept()
    {
        var dead = Silo(22222, 50);
        var view = View((Self, SiloStatus.Active, "worker-1"), (dead, SiloStatus.Dead, "worker-2"));

        Assert.Null(Decide(Labels("worker-2", dead, engine: "ENGINE-B"), view));
        Assert.Null(Decide(Labels("worker-1", Silo(11111, 1), engine: "ENGINE-B"), view, atStart: true));
    }

    [Fact]
    public void AtItsStart_ANodeReapsTheContainersOfItsEarlierStarts_AndLaterOnlyThoseOfStartsDeclaredDead()
    {
        var earlier = Silo(11111, 99);
        var unknown = View((Self, SiloStatus.Active, "worker-1"));
        var declared = View((Self, SiloStatus.Active, "worker-1"), (earlier, SiloStatus.Dead, "worker-1"));

        Assert.Equal(ReapReason.Orphan, Decide(Labels("worker-1", earlier), unknown, atStart: true));
        // Later, a container of the same name but another incarnation may be a second node misconfigured with this name.
        Assert.Null(Decide(Labels("worker-1", earlier), unknown));
        Assert.Equal(ReapReason.Orphan, Decide(Labels("worker-1", earlier), declared));
        Assert.Null(Decide(Labels("worker-1", Self), declared, atStart: true));
        Assert.Null(Decide(Labels("worker-1", Self), declared));
    }

    [Fact]
    public void ASiloOnlyInferredDead_AbsentFromTheTableWithASuccessorAtItsEndpoint_IsKept()
    {
        // Orleans infers an absent silo dead when a later generation holds its endpoint; a deployment sharing this
        // engine and the default ClusterId but not our Redis could be that absent silo. Only a dead entry counts.
        var absent = Silo(44444, 50);
        var view = View((Self, SiloStatus.Active, "worker-1"), (Silo(44444, 60), SiloStatus.Active, "worker-9"));

        Assert.Equal(SiloStatus.Dead, view.GetSiloStatus(absent));
        Assert.Null(Decide(Labels("worker-9", absent), view));
    }

    [Fact]
    public void ContainersWithoutSoulBoxLabels_AreKept()
    {
        var dead = Silo(22222, 50);
        var view = View((Self, SiloStatus.Active, "worker-1"), (dead, SiloStatus.Dead, "worker-2"));

        Assert.Null(ReapDecision.Decide(new Dictionary<string, string> { ["other"] = "x" }, Owner, Engine, view, atStart: true));
        // A node label alone (made before the cluster labels existed) is left to that node's own next start ...
        Assert.Null(ReapDecision.Decide(new Dictionary<string, string> { [DockerContainerRuntime.NodeLabel] = "worker-2" }, Owner, Engine, view, atStart: true));
        // ... which reaps it.
        Assert.Equal(ReapReason.Orphan, ReapDecision.Decide(new Dictionary<string, string> { [DockerContainerRuntime.NodeLabel] = "worker-1" }, Owner, Engine, view, atStart: true));
    }

    [Fact]
    public void AnUnreadableSiloLabel_IsKept()
    {
        var view = View((Self, SiloStatus.Active, "worker-1"), (Silo(22222, 50), SiloStatus.Dead, "worker-2"));
        var labels = Labels("worker-2", null);
        labels[ContainerLabels.Silo] = "not a silo";

        Assert.Null(Decide(labels, view));
    }

    [Fact]
    public void ShortImageId_IsTheTwelveHexDigitsDockerShows()
    {
        Assert.Equal("0123456789ab", ContainerLabels.ShortImageId("sha256:0123456789abcdef0123"));
        Assert.Equal("abc", ContainerLabels.ShortImageId("abc"));
    }
}
