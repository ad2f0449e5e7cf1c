using SoulBox.Grains.Containers;

namespace SoulBox.Grains.Tests;

/// <summary>Where a container's cgroups are, from its init process's /proc/&lt;pid&gt;/cgroup and the mount table, for
/// the layouts Docker produces (cgroup v1 with separate or co-mounted cpu/cpuacct, v2, hybrid, a cgroup namespace).</summary>
public sealed class CgroupLocatorTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    // This machine's layout: cgroup v1, every controller mounted apart, plus an empty v2 tree (hybrid).
    private const string SeparateV1Mounts = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    [Fact]
    public void V1_ContainerUnderACustomParent_IsFoundUnderThatParent()
    {
        var cgroup = $"""
            9:name=systemd:/soulbox-w1/{Id}
            4:memory:/soulbox-w1/{Id}
            2:cpuacct:/soulbox-w1/{Id}
            1:cpu:/soulbox-w1/{Id}
            0::/
            """;

        var found = CgroupLocator.Parse(cgroup, SeparateV1Mounts);

        Assert.Equal($"/sys/fs/cgroup/memory/soulbox-w1/{Id}", found.Memory);
        Assert.Equal($"/sys/fs/cgroup/cpuacct/soulbox-w1/{Id}", found.Cpu);
    }

    [Fact]
    public void V1_CoMountedCpuAndCpuacct_UsesTheSharedMount()
    {
        const string mounts = """
            25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
            26 24 0:23 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
            """;
        var cgroup = $"5:cpu,cpuacct:/docker/{Id}\n3:memory:/docker/{Id}\n";

        var found = CgroupLocator.Parse(cgroup, mounts);

        Assert.Equal($"/sys/fs/cgroup/cpu,cpuacct/docker/{Id}", found.Cpu);
        Assert.Equal($"/sys/fs/cgroup/memory/docker/{Id}", found.Memory);
    }

    [Fact]
    public void V2_SystemdDriver_UsesTheUnifiedTreeForBoth()
    {
        const string mounts = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate";
        var cgroup = $"0::/system.slice/docker-{Id}.scope\n";

        var found = CgroupLocator.Parse(cgroup, mounts);

        Assert.Equal($"/sys/fs/cgroup/system.slice/docker-{Id}.scope", found.Memory);
        Assert.Equal(found.Memory, found.Cpu);
    }

    [Fact]
    public void MountOfASubtree_IsResolvedRelativeToItsRoot_AndAPathOutsideItIsNotGuessed()
    {
        // Inside a cgroup namespace (a silo in a container with /sys/fs/cgroup bound), the mount shows part of the tree.
        const string mounts = "30 23 0:26 /docker /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory";

        Assert.Equal($"/sys/fs/cgroup/memory/{Id}", CgroupLocator.Parse($"4:memory:/docker/{Id}", mounts).Memory);
        Assert.Null(CgroupLocator.Parse($"4:memory:/elsewhere/{Id}", mounts).Memory);
    }

    [Fact]
    public void ForParent_FollowsTheCgroupfsAndSystemdLayouts()
    {
        var cgroupfs = CgroupLocator.ForParent("/soulbox-w1", Id, SeparateV1Mounts)!;
        Assert.Equal($"/sys/fs/cgroup/memory/soulbox-w1/{Id}", cgroupfs.Memory);
        Assert.Equal($"/sys/fs/cgroup/cpuacct/soulbox-w1/{Id}", cgroupfs.Cpu);

        const string v2 = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw";
        var slice = CgroupLocator.ForParent("soulbox-w1.slice", Id, v2)!;
        Assert.Equal($"/sys/fs/cgroup/soulbox.slice/soulbox-w1.slice/docker-{Id}.scope", slice.Memory);

        Assert.Null(CgroupLocator.ForParent(null, Id, v2));
    }

    [Theory]
    [InlineData("/soulbox-w1", true)]
    [InlineData("soulbox/w1", true)]
    [InlineData("soulbox-w1.slice", true)]
    [InlineData("", true)] // empty = none (an unset compose variable)
    [InlineData("/../escape", false)]
    [InlineData("a//b", false)]
    [InlineData("/", false)]
    [InlineData("a b", false)]
    [InlineData("a/b.slice", false)]
    public void Options_ValidateCgroupParent(string parent, bool valid)
    {
        var problems = new ContainerRuntimeOptions { CgroupParent = parent }.Validate().ToList();

        Assert.Equal(valid, problems.Count == 0);
        if (!valid)
        {
            Assert.Contains(problems, p => p.Contains("CgroupParent", StringComparison.Ordinal));
        }
    }
}
