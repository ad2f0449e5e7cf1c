using System.Diagnostics.Metrics;

namespace SoulBox.Silo.Tests;

/// <summary>The node's compile cache end to end (real Docker, real executors, the HTTP API): a repeated one-shot Go or
/// Java run skips its compile, anything else about the program misses, a run cannot change or see what the cache
/// holds, and failed compiles are not kept. Every test uses a source of its own (a nonce), so no other test's runs
/// decide what is a hit.</summary>
[Collection(SiloCollection.Name)]
public sealed class CompileCacheTests(SiloFixture node)
{
    // The fixture's node is "silotest" with the default SoulBox:Docker:RunDirectory.
    private const string CacheDirectory = "/run/soulbox/compile-cache/silotest";

    private HttpClient A => node.TenantA;

    public static TheoryData<string, string> HelloPrograms => new()
    {
        { "go", "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"hello NONCE\") }" },
        { "java", "public class Main { public static void main(String[] a) { System.out.println(\"hello NONCE\"); } }" },
    };

    [Theory]
    [MemberData(nameof(HelloPrograms))]
    public async Task ARepeatedRun_SkipsTheCompile_AndRunsTheSameProgram(string language, string template)
    {
        var (code, nonce) = Unique(template);

        var first = await ExecuteAsync(new { language, code });
        var second = await ExecuteAsync(new { language, code });

        Assert.Equal($"hello {nonce}\n", Stdout(first));
        Assert.False(Cached(first));
        Assert.Equal($"hello {nonce}\n", Stdout(second));
        Assert.True(Cached(second));
        var compile = second.GetProperty("compile");
        Assert.Equal("ok", compile.GetProperty("status").GetString());
        Assert.Equal(0, compile.GetProperty("wallTimeMs").GetDouble());
        Assert.Equal("ok", second.GetProperty("run").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnotherSourceOrAnotherFileSet_Misses()
    {
        var (code, nonce) = Unique(HelloPrograms.First()[1].ToString()!);
        await ExecuteAsync(new { language = "go", code });

        var changed = await ExecuteAsync(new { language = "go", code = code.Replace("hello", "hullo", StringComparison.Ordinal) });
        var withData = await ExecuteAsync(new
        {
            language = "go",
            files = new object[] { new { name = "main.go", content = code }, new { name = "data.txt", content = "x" } },
        });
        var again = await ExecuteAsync(new { language = "go", code });

        Assert.Equal($"hullo {nonce}\n", Stdout(changed));
        Assert.False(Cached(changed));
        Assert.False(Cached(withData));
        Assert.True(Cached(again));
    }

    [Fact]
    public async Task AGoRunThatReplacesItsBinary_DoesNotChangeTheNextHit()
    {
        var (code, nonce) = Unique("""
            package main
            import ("fmt"; "os")
            func main() {
                fmt.Println("intact NONCE")
                self, _ := os.Executable()
                os.Remove(self)
                os.WriteFile(self, []byte("#!/bin/sh\necho poisoned\n"), 0755)
                os.WriteFile(self + ".extra", []byte("left behind"), 0644)
            }
            """);

        var results = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            results.Add(await ExecuteAsync(new { language = "go", code }));
        }

        Assert.All(results, r => Assert.Equal($"intact {nonce}\n", Stdout(r)));
        Assert.Equal([false, true, true], results.Select(Cached));
    }

    [Fact]
    public async Task AJavaRunThatOverwritesItsClasses_DoesNotChangeTheNextHit()
    {
        var (code, nonce) = Unique("""
            import java.nio.file.*;
            public class Main {
                public static void main(String[] a) throws Exception {
                    System.out.println("intact NONCE");
                    Path classes = Paths.get(System.getProperty("java.class.path"));
                    Files.write(classes.resolve("Main.class"), new byte[] { 1, 2, 3 });
                    Files.write(classes.resolve("Extra.class"), new byte[] { 4 });
                }
            }
            """);

        var results = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            results.Add(await ExecuteAsync(new { language = "java", code }));
        }

        Assert.All(results, r => Assert.Equal($"intact {nonce}\n", Stdout(r)));
        Assert.Equal([false, true, true], results.Select(Cached));
    }

    [Fact]
    public async Task ARunCannotListOrReadTheCache()
    {
        var (code, _) = Unique(HelloPrograms.First()[1].ToString()!);
        await ExecuteAsync(new { language = "go", code });
        Assert.True(Cached(await ExecuteAsync(new { language = "go", code })));
        var entries = Directory.GetFiles(CacheDirectory, "*.entry");
        Assert.NotEmpty(entries); // the host holds the entries the runs above used

        var probe = string.Join('\n',
            "for p in /run /run/soulbox /run/soulbox/compile-cache " + CacheDirectory + " /opt/soulbox /home/sandbox /tmp; do echo \"== $p\"; ls -la \"$p\" 2>&1; done",
            string.Join('\n', entries.Select(e => $"cat '{e}' > /dev/null 2>&1 && echo READ {Path.GetFileName(e)}")),
            "find / -xdev \\( -name '*.entry' -o -name 'compile-cache' \\) 2>/dev/null | sed 's/^/FOUND /'",
            "echo done");
        var result = await ExecuteAsync(new { language = "bash", code = probe });

        var stdout = Stdout(result);
        Assert.EndsWith("done\n", stdout);
        Assert.DoesNotContain("READ ", stdout);
        Assert.DoesNotContain("FOUND ", stdout);
        Assert.DoesNotContain("compile-cache ", stdout);
        Assert.All(entries, e => Assert.DoesNotContain(Path.GetFileNameWithoutExtension(e), stdout));
    }

    [Fact]
    public async Task IdenticalConcurrentMisses_CompileOnce_AndLeaveAGoodEntry()
    {
        var (code, nonce) = Unique(HelloPrograms.First()[1].ToString()!);

        var runs = await Task.WhenAll(ExecuteAsync(new { language = "go", code }), ExecuteAsync(new { language = "go", code }));
        var after = await ExecuteAsync(new { language = "go", code });

        Assert.All(runs, r => Assert.Equal($"hello {nonce}\n", Stdout(r)));
        Assert.Single(runs, r => !Cached(r));
        Assert.True(Cached(after));
        Assert.Equal($"hello {nonce}\n", Stdout(after));
    }

    [Theory]
    [InlineData("go", "package main\nfunc main() { undefinedNONCE() }")]
    [InlineData("java", "public class Main { public static void main(String[] a) { int NONCE = \"s\"; } }")]
    public async Task CompileErrors_AreReportedEveryTime_AndNotKept(string language, string template)
    {
        var (code, _) = Unique(template);

        var first = await ExecuteAsync(new { language, code });
        var second = await ExecuteAsync(new { language, code });

        foreach (var result in new[] { first, second })
        {
            Assert.Equal("compile_error", result.GetProperty("status").GetString());
            Assert.False(Cached(result));
            Assert.NotEmpty(result.GetProperty("stderr").GetString()!);
            Assert.False(result.TryGetProperty("run", out var run) && run.ValueKind != JsonValueKind.Null, "a failed compile has no run stage");
        }

        Assert.Equal(first.GetProperty("stderr").GetString(), second.GetProperty("stderr").GetString());
    }

    [Fact]
    public async Task Metrics_CountTheMissAndTheHit()
    {
        // Measured on this node's own meter, exactly. Not through /metrics: in a test process with several hosts (and
        // dashboards) OpenTelemetry listens to every meter called "SoulBox", and the fixture's scrape was seen to
        // lack SoulBox's series for seconds on end (ObservabilityTests polls for them).
        var factory = node.Get<IMeterFactory>();
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name.StartsWith("soulbox.compile.cache.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var language = tags.ToArray().FirstOrDefault(t => t.Key == "language").Value as string;
            lock (counts)
            {
                counts[$"{instrument.Name} {language}"] = counts.GetValueOrDefault($"{instrument.Name} {language}") + value;
            }
        });
        listener.Start();
        var (code, _) = Unique(HelloPrograms.First()[1].ToString()!);

        await ExecuteAsync(new { language = "go", code });
        await ExecuteAsync(new { language = "go", code });

        lock (counts)
        {
            Assert.Equal(1, counts.GetValueOrDefault("soulbox.compile.cache.misses go"));
            Assert.Equal(1, counts.GetValueOrDefault("soulbox.compile.cache.hits go"));
        }
    }

    private static (string Code, string Nonce) Unique(string template)
    {
        var nonce = "n" + Guid.NewGuid().ToString("N")[..12];
        return (template.Replace("NONCE", nonce, StringComparison.Ordinal), nonce);
    }

    private async Task<JsonElement> ExecuteAsync(object request) => await (await A.PostJsonAsync("/v1/execute", request)).JsonAsync();

    private static string Stdout(JsonElement result) => result.GetProperty("stdout").GetString()!;

    private static bool Cached(JsonElement result) =>
        result.GetProperty("compile") is { ValueKind: JsonValueKind.Object } compile && compile.GetProperty("cached").GetBoolean();
}
