using CsCheck;
using SoulBox.Agent.Files;
using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Tests;

/// <summary>Property tests of the agent's path confinement, run directly on its code (src/Agent/Files is
/// compiled into this project). Random paths of "..", ".", names, "/" and "//", under a work directory whose
/// symlinks point to random places: beside each other, up, out, absolute, in loops, dangling. Both
/// resolvers (openat2 and the per-component fallback) are checked against realpath(3) as the oracle.
/// File operations run with uid 0 here, so confinement alone stands between them and the outside.</summary>
public sealed class SandboxPathsPropertyTests : IDisposable
{
    private static readonly string[] LinkPlaces = ["work/l0", "work/a/l1", "work/a/b/l2", "tmp/tl"];

    // {B} is the sample's base directory, which holds work, tmp and outside.
    private static readonly string[] LinkTargets =
    [
        "", "a", "a/b", "b", ".", "..", "../..", "../../..", "../outside", "../../outside", "../../../outside",
        "../tmp/c", "../../tmp/c", "{B}/outside", "{B}/outside/sub", "{B}", "{B}/work/a", "{B}/tmp/c",
        "l0", "l1", "./l2", "b/../..", "missing", "f", "../f", "sub/../../..",
    ];

    // A path is a prefix, a head that often goes through a link, and a random tail.
    private static readonly string[] Prefixes = ["", "", "", "/", "{B}/", "{B}/work/", "{B}/tmp/", "{B}/work/a/../../tmp/"];

    private static readonly string[] Heads = ["", "l0", "l0", "a/l1", "a/l1", "a/b/l2", "{B}/tmp/tl", "a", "l0/l1", "a/l1/l2", "a/b/l2/tl"];

    private static readonly string[] Segments =
        ["..", ".", "a", "b", "f", "c", "l0", "l1", "l2", "tl", "outside", "secret", "sub", "deep", "work", "tmp", "x", ""];

    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"soulbox-paths-{Guid.NewGuid():N}");

    private static Gen<string[]> LinksGen => Gen.OneOf(LinkTargets).Array[LinkPlaces.Length, LinkPlaces.Length];

    private static Gen<string> PathGen => Gen.Select(
        Gen.OneOf(Prefixes),
        Gen.OneOf(Heads),
        Gen.Select(Gen.OneOf(Segments), Gen.OneOf("/", "//")).Array[0, 3],
        (prefix, head, tail) => prefix.StartsWith('{') && head.StartsWith('{')
            ? head
            : (prefix + head + "/" + string.Concat(tail.Select(p => p.Item1 + p.Item2))).TrimEnd('/'));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EveryOpenLandsInsideARoot_AndEveryPathThatLeadsOutIsRefused(bool openat2)
    {
        var outcomes = new Dictionary<string, int>();
        Gen.Select(LinksGen, PathGen.Array[1, 8]).Sample((links, paths) =>
        {
            using var sample = new Sample(_scratch, links, openat2);
            foreach (var raw in paths)
            {
                var outcome = sample.CheckOpen(sample.Expand(raw));
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }, iter: 500, threads: 1, print: Print);

        // Not vacuous: paths opened, and paths that realpath puts outside were met and refused at both gates.
        Assert.True(outcomes.GetValueOrDefault("opened") > 50, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("refused lexically") > 50, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("refused, leads out") > 30, string.Join(", ", outcomes));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WritesMkdirsAndRemoves_NeverChangeAnythingOutsideTheRoots(bool openat2)
    {
        Gen.Select(LinksGen, PathGen.Array[1, 8]).Sample((links, paths) =>
        {
            using var sample = new Sample(_scratch, links, openat2);
            var outsideBefore = sample.Outside();
            foreach (var raw in paths)
            {
                var path = sample.Expand(raw);
                sample.Try(() => sample.Files.OpenWrite(path, append: false).Handle.Dispose());
                sample.Try(() => sample.Files.MakeDirectories(path + "/m/n"));
                sample.Try(() => sample.Files.OpenWrite(path + "/w", append: true).Handle.Dispose());
            }

            foreach (var raw in paths)
            {
                sample.Try(() => sample.Files.Remove(sample.Expand(raw), recursive: true));
            }

            Assert.Equal(outsideBefore, sample.Outside());
        }, iter: 150, threads: 1, print: Print);
    }

    [Theory]
    [InlineData("", "work", "")]
    [InlineData(".", "work", "")]
    [InlineData("a//b/./c/", "work", "a/b/c")]
    [InlineData("a/../../work/x", "work", "x")]
    [InlineData("{B}/tmp/../tmp/y", "tmp", "y")]
    [InlineData("{B}/work/../tmp", "tmp", "")]
    public void Parse_NormalisesLexically_AndPicksTheRoot(string raw, string root, string relative)
    {
        using var sample = new Sample(_scratch, new string[LinkPlaces.Length], openat2: true);
        var parsed = sample.Paths.Parse(sample.Expand(raw));
        Assert.Equal(Path.Combine(sample.Base, root), parsed.Root.Path);
        Assert.Equal(relative, parsed.Relative);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../outside/secret")]
    [InlineData("/")]
    [InlineData("{B}")]
    [InlineData("{B}/work2")]
    [InlineData("{B}/tmpx/y")]
    public void Parse_RefusesWhatIsLexicallyOutside(string raw)
    {
        using var sample = new Sample(_scratch, new string[LinkPlaces.Length], openat2: true);
        var error = Assert.Throws<AgentException>(() => sample.Paths.Parse(sample.Expand(raw)));
        Assert.Equal(AgentErrorCodes.PathEscape, error.Code);
    }

    [Fact]
    public void TheFallbackWalk_FollowsNoSymlink_AndTheKernelPathFollowsOnlyRelativeOnesBeneathTheRoot()
    {
        using var sample = new Sample(_scratch, ["a", "{B}/work/a", "../../..", ""], openat2: true);
        using var fallback = new SandboxPaths(sample.Paths.WorkDirectory, sample.Paths.TmpDirectory, new BeneathResolver(useOpenat2: false));
        var kernel = sample.Paths;
        Assert.True(kernel.Resolver.UsesOpenat2, "this kernel has openat2; the property tests rely on exercising it");

        FsCalls.Close(kernel.Resolver.Open(kernel.Work, "l0/f", FsCalls.O_PATH)); // l0 -> a
        Assert.Equal(FsCalls.EXDEV, Assert.Throws<ErrnoException>(() => kernel.Resolver.Open(kernel.Work, "a/l1/f", FsCalls.O_PATH)).Errno);
        Assert.Equal(FsCalls.EXDEV, Assert.Throws<ErrnoException>(() => kernel.Resolver.Open(kernel.Work, "a/b/l2", FsCalls.O_PATH)).Errno);
        foreach (var path in new[] { "l0/f", "l0", "a/l1/f" })
        {
            Assert.Equal(FsCalls.EXDEV, Assert.Throws<ErrnoException>(() => fallback.Resolver.Open(fallback.Work, path, FsCalls.O_PATH)).Errno);
        }

        FsCalls.Close(fallback.Resolver.Open(fallback.Work, "a/f", FsCalls.O_RDONLY));
    }

    public void Dispose()
    {
        if (Directory.Exists(_scratch))
        {
            Directory.Delete(_scratch, recursive: true);
        }
    }

    private static string Print((string[] Links, string[] Paths) sample) =>
        $"links [{string.Join(", ", LinkPlaces.Zip(sample.Links, (place, target) => $"{place} -> '{target}'"))}] paths [{string.Join(", ", sample.Paths.Select(p => $"'{p}'"))}]";

    /// <summary>One base directory: work (a/b, a/f), tmp (c), outside (secret, sub/deep) and the sample's links.</summary>
    private sealed class Sample : IDisposable
    {
        public Sample(string scratch, string[] links, bool openat2)
        {
            Base = Path.Combine(scratch, Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path.Combine(Base, "work", "a", "b"));
            File.WriteAllText(Path.Combine(Base, "work", "a", "f"), "f");
            Directory.CreateDirectory(Path.Combine(Base, "tmp", "c"));
            Directory.CreateDirectory(Path.Combine(Base, "outside", "sub"));
            File.WriteAllText(Path.Combine(Base, "outside", "secret"), "secret");
            File.WriteAllText(Path.Combine(Base, "outside", "sub", "deep"), "deep");
            for (var i = 0; i < LinkPlaces.Length; i++)
            {
                if (!string.IsNullOrEmpty(links[i]))
                {
                    File.CreateSymbolicLink(Path.Combine(Base, LinkPlaces[i]), Expand(links[i]));
                }
            }

            Paths = new SandboxPaths(Path.Combine(Base, "work"), Path.Combine(Base, "tmp"), new BeneathResolver(openat2));
            Files = new SandboxFileSystem(Paths, uid: 0, gid: 0);
        }

        public string Base { get; }

        public SandboxPaths Paths { get; }

        public SandboxFileSystem Files { get; }

        public string Expand(string raw) => raw.Replace("{B}", Base, StringComparison.Ordinal);

        /// <summary>Opening with O_PATH either fails or yields the very file realpath(3) names, inside a root;
        /// and a path that realpath puts outside the roots never opens. Returns what happened.</summary>
        public string CheckOpen(string path)
        {
            var full = Path.GetFullPath(path.Length == 0 ? "." : path, Paths.WorkDirectory);
            var real = FsCalls.RealPath(full);
            SandboxPath parsed;
            try
            {
                parsed = Paths.Parse(path);
                Assert.True(IsInside(full.TrimEnd('/')), $"'{path}' was accepted though it is lexically {full}");
            }
            catch (AgentException e)
            {
                Assert.Equal(AgentErrorCodes.PathEscape, e.Code);
                Assert.False(IsInside(full.TrimEnd('/')), $"'{path}' was refused though it is lexically {full}");
                return "refused lexically";
            }

            int fd;
            try
            {
                fd = Paths.Resolver.Open(parsed.Root, parsed.Relative, FsCalls.O_PATH);
            }
            catch (ErrnoException e)
            {
                Assert.Contains(e.Errno, new[] { FsCalls.ENOENT, FsCalls.ENOTDIR, FsCalls.EXDEV, FsCalls.ELOOP });
                return real is not null && !IsInside(real) ? "refused, leads out" : "refused";
            }

            try
            {
                var opened = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
                Assert.True(opened is not null && IsInside(opened), $"'{path}' opened {opened}, outside the roots");
                Assert.Equal(real, opened);
                return "opened";
            }
            finally
            {
                FsCalls.Close(fd);
            }
        }

        public void Try(Action operation)
        {
            try
            {
                operation();
            }
            catch (AgentException e) when (e.Code != AgentErrorCodes.Internal)
            {
            }
        }

        /// <summary>The base's own entries and everything below outside/, with sizes and modes.</summary>
        public string Outside() => string.Join('\n',
            Directory.EnumerateFileSystemEntries(Base)
                .Concat(Directory.EnumerateFileSystemEntries(Path.Combine(Base, "outside"), "*", SearchOption.AllDirectories))
                .Order(StringComparer.Ordinal)
                .Select(p => $"{p} {File.GetUnixFileMode(p)} {(File.Exists(p) ? new FileInfo(p).Length : -1)}"));

        public void Dispose()
        {
            Paths.Dispose();
            Directory.Delete(Base, recursive: true);
        }

        private bool IsInside(string path) =>
            new[] { Paths.WorkDirectory, Paths.TmpDirectory }.Any(root => path == root || path.StartsWith(root + "/", StringComparison.Ordinal));
    }
}
