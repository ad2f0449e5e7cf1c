using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace SoulBox.Cluster.Tests;

/// <summary>compose.yaml as an operator runs it: <c>scripts/cluster.sh up</c> (images built here, a key made),
/// code run through the gateway on both workers, Prometheus scraping every silo, then <c>scripts/cluster.sh down</c>
/// leaving no container of the cluster. Runs on its own ports and env file beside anything else on this machine.</summary>
[Collection(ClusterSuite.Name)]
public sealed partial class ComposeClusterTests(ITestOutputHelper output) : IDisposable
{
    // A fresh machine installs docker-compose with apt, publishes the silo and builds three images first.
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(20);
    // Workers drain for up to 45 s (stop_grace_period) before Docker stops them.
    private static readonly TimeSpan DownTimeout = TimeSpan.FromMinutes(3);

    private readonly string _directory = Directory.CreateTempSubdirectory("soulbox-compose-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ClusterUp_RunsCodeOnBothWorkersThroughTheGateway_AndDownLeavesNoContainer()
    {
        var cluster = new ComposeScript(_directory);
        var userEnvFile = Path.Combine(cluster.RepositoryRoot, ".env");
        var userEnvBefore = File.Exists(userEnvFile) ? await File.ReadAllTextAsync(userEnvFile) : null;
        var downDone = false;
        try
        {
            var clock = Stopwatch.StartNew();
            var (code, upOutput) = await cluster.RunAsync(UpTimeout, "up");
            var upTime = clock.Elapsed;
            Assert.True(code == 0, $"scripts/cluster.sh up failed with exit code {code}:\n{ComposeScript.Tail(upOutput, 80)}");

            var key = KeyLine().Match(upOutput) is { Success: true } printed ? printed.Groups["key"].Value
                : throw new Xunit.Sdk.XunitException($"scripts/cluster.sh up printed no SOULBOX_API_KEY= line:\n{ComposeScript.Tail(upOutput)}");
            Assert.Contains($"SOULBOX_API_KEY={key}", await File.ReadAllLinesAsync(cluster.EnvFile));
            Assert.Equal(userEnvBefore, File.Exists(userEnvFile) ? await File.ReadAllTextAsync(userEnvFile) : null);

            using var gateway = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{cluster.HttpPort}"), Timeout = TimeSpan.FromSeconds(60) };
            using (var anonymous = await gateway.GetAsync("/v1/sandboxes"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            }

            gateway.DefaultRequestHeaders.Add("X-API-Key", key);
            var nodes = await CreateSandboxesOnBothWorkersAsync(gateway, cluster.WorkerNames);
            var firstRunTime = clock.Elapsed;
            output.WriteLine($"up: {upTime.TotalSeconds:F1} s; first code run answered {firstRunTime.TotalSeconds:F1} s after `up` started");
            Assert.Equal(cluster.WorkerNames.Order(), nodes.Values.Distinct().Order());

            using var execute = await gateway.PostAsJsonAsync("/v1/execute", new { language = "python", code = "print(6 * 7)" });
            Assert.Equal(HttpStatusCode.OK, execute.StatusCode);
            var once = await execute.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(("ok", "42\n"), (once.GetProperty("status").GetString(), once.GetProperty("stdout").GetString()));

            await AssertPrometheusScrapesEverySiloAsync(cluster);

            // Sandboxes stay alive on purpose: stopping must take them away. Worker 1 stops as Compose stops it
            // (SIGTERM, stop_grace_period) and removes its own; worker 2 is then killed (SIGKILL, no time to clean up,
            // and no worker left to reap for it), as a crashed worker would be, so its containers are left to the
            // script's sweep by label.
            Assert.NotEmpty(await ComposeScript.DockerAsync("ps", "-q", "--filter", $"label=soulbox.node={cluster.WorkerNames[0]}"));
            var (stopCode, stopOutput) = await cluster.RunAsync(DownTimeout, "compose", "stop", "worker-1");
            Assert.True(stopCode == 0, $"docker-compose stop worker-1 failed with exit code {stopCode}:\n{ComposeScript.Tail(stopOutput)}");
            Assert.Empty(await ComposeScript.DockerAsync("ps", "-aq", "--filter", $"label=soulbox.node={cluster.WorkerNames[0]}"));

            var worker2 = Assert.Single(await ComposeScript.DockerAsync("ps", "-q", "--filter", $"label=com.docker.compose.project={cluster.Project}",
                "--filter", "label=com.docker.compose.service=worker-2"));
            await ComposeScript.DockerAsync("stop", "--time", "0", worker2);
            var leftBehind = await ComposeScript.DockerAsync("ps", "-aq", "--filter", $"label=soulbox.node={cluster.WorkerNames[1]}");
            Assert.NotEmpty(leftBehind);

            clock.Restart();
            var (downCode, downOutput) = await cluster.RunAsync(DownTimeout, "down", "--volumes");
            downDone = true;
            output.WriteLine($"down: {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(downCode == 0, $"scripts/cluster.sh down failed with exit code {downCode}:\n{ComposeScript.Tail(downOutput)}");
            var swept = SweptLine().Match(downOutput);
            Assert.True(swept.Success && int.Parse(swept.Groups["count"].Value) >= leftBehind.Length,
                $"down did not report sweeping worker 2's {leftBehind.Length} containers:\n{ComposeScript.Tail(downOutput)}");
            foreach (var label in LabelsOf(cluster))
            {
                Assert.Empty(await ComposeScript.DockerAsync("ps", "-aq", "--filter", $"label={label}"));
            }

            Assert.Empty(await ComposeScript.DockerAsync("volume", "ls", "-q", "--filter", $"label=com.docker.compose.project={cluster.Project}"));
            // Nor a uid lease of one of its containers (a file per uid holding the container's name, in the run directory).
            Assert.DoesNotContain(Directory.EnumerateFiles("/run/soulbox/uids"),
                f => LeaseHolder(f)?.StartsWith($"soulbox-{cluster.ClusterId}-", StringComparison.Ordinal) == true);
        }
        finally
        {
            if (!downDone)
            {
                var (code, downOutput) = await cluster.RunAsync(DownTimeout, "down", "--volumes");
                output.WriteLine($"cleanup: scripts/cluster.sh down exited {code}\n{ComposeScript.Tail(downOutput, 20)}");
            }
        }
    }

    /// <summary>Creates python sandboxes until both workers hold one (load-aware placement spreads them; at most 8),
    /// runs code in each, and returns sandbox id → node.</summary>
    private async Task<Dictionary<string, string>> CreateSandboxesOnBothWorkersAsync(HttpClient gateway, string[] workers)
    {
        var nodes = new Dictionary<string, string>();
        for (var i = 0; i < 8 && nodes.Values.Distinct().Count() < workers.Length; i++)
        {
            using var created = await gateway.PostAsJsonAsync("/v1/sandboxes", new { template = "python", timeoutSeconds = 600 });
            var body = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"create answered {(int)created.StatusCode}: {body}");
            var sandbox = JsonDocument.Parse(body).RootElement;
            var id = sandbox.GetProperty("id").GetString()!;
            nodes[id] = sandbox.GetProperty("node").GetString()!;

            using var run = await gateway.PostAsJsonAsync($"/v1/sandboxes/{id}/code", new { code = "x = 6 * 7\nx" });
            var result = await run.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(run.IsSuccessStatusCode && result.GetProperty("value").GetString() == "42", $"code in {id} answered {(int)run.StatusCode}: {result}");
        }

        var listed = await gateway.GetFromJsonAsync<JsonElement>("/v1/sandboxes");
        var listedNodes = listed.EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!, s => s.GetProperty("node").GetString()!);
        Assert.Equal(nodes.OrderBy(p => p.Key), listedNodes.OrderBy(p => p.Key));
        output.WriteLine($"sandboxes: {string.Join(", ", nodes.Select(p => $"{p.Key} on {p.Value}"))}");
        return nodes;
    }

    /// <summary>Waits (scrape interval 5 s; at most 60 s) until Prometheus reports the gateway and both workers up.</summary>
    private async Task AssertPrometheusScrapesEverySiloAsync(ComposeScript cluster)
    {
        using var prometheus = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{cluster.PrometheusPort}"), Timeout = TimeSpan.FromSeconds(10) };
        var expected = new[] { cluster.HttpPort, cluster.WorkerHttpPorts[0], cluster.WorkerHttpPorts[1] }
            .Select(p => $"http://127.0.0.1:{p}/metrics").Order().ToArray();
        var waited = Stopwatch.StartNew();
        var last = "";
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            var targets = await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/targets");
            var active = targets.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
                .Select(t => (Url: t.GetProperty("scrapeUrl").GetString()!, Health: t.GetProperty("health").GetString()!)).ToList();
            last = string.Join(", ", active.Select(t => $"{t.Url} {t.Health}"));
            if (active.Select(t => t.Url).Order().SequenceEqual(expected) && active.All(t => t.Health == "up"))
            {
                output.WriteLine($"prometheus: {last} after {waited.Elapsed.TotalSeconds:F1} s");
                return;
            }

            await Task.Delay(1000);
        }

        Assert.Fail($"Prometheus did not report {string.Join(", ", expected)} up within 60 s; last: {last}");
    }

    /// <summary>The container a uid lease file names, or null when another node released it meanwhile.</summary>
    private static string? LeaseHolder(string path)
    {
        try
        {
            return File.ReadLines(path).FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string[] LabelsOf(ComposeScript cluster) =>
    [
        $"com.docker.compose.project={cluster.Project}",
        $"soulbox.cluster={cluster.ClusterId}",
        .. cluster.WorkerNames.Select(n => $"soulbox.node={n}"),
    ];

    [GeneratedRegex(@"^SOULBOX_API_KEY=(?<key>\S+)$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"removed (?<count>\d+) sandbox container\(s\) of cluster '[^']+' left behind")]
    private static partial Regex SweptLine();
}
