using System.Diagnostics;
using Xunit.Abstractions;

namespace SoulBox.Hostile.Tests;

/// <summary>Finding 2: a tenant cannot make the node buffer a sandbox's output without bound. Each attack runs for
/// <see cref="AttackTime"/> over HTTP with a slow (or no) reader while the node's resident memory (this test process
/// hosts the node) is sampled; its growth must stay within the bound each case states. Afterwards the
/// bystander still answers, and the attacker's sandbox is killed with no container of it left.</summary>
[Collection(HostileCollection.Name)]
public sealed class SiloMemoryTests(HostileNode node, ITestOutputHelper output)
{
    private static readonly TimeSpan AttackTime = TimeSpan.FromSeconds(20);

    private readonly Dictionary<string, string> _containers = [];

    /// <summary>Growth allowed over a slow download: one credit window (2 MiB), two chunks per grain answer and the
    /// gateway's buffers, with room for the GC's slack. Measured: +12 to +22 MiB.</summary>
    private const long DownloadBoundBytes = 100L * 1024 * 1024;

    /// <summary>Growth allowed over the command flood: 32 requests in flight for the tenant (a credit window and a few
    /// events each), its retained-output budget (32 MiB of output, about five times that as text and JSON) and the
    /// garbage of tens of megabytes of output a second. Measured: +340 to +345 MiB (before flow control and the
    /// limits: +946 MiB after 20 s and still growing).</summary>
    private const long CommandsBoundBytes = 450L * 1024 * 1024;

    [Fact]
    public async Task ASlowDownloadOfAFifoFedFromDevZero_KeepsTheNodeBounded()
    {
        var sandbox = await CreateSandboxAsync("python");
        using var attack = new CancellationTokenSource(AttackTime + TimeSpan.FromSeconds(30));
        // The writer blocks on the FIFO until the download opens it, then writes as fast as the reader takes.
        var writer = node.Attacker.PostAsJsonAsync($"/v1/sandboxes/{sandbox}/commands",
            new { cmd = "mkfifo f; cat /dev/zero > f", timeoutMs = 120_000 }, attack.Token);
        await WaitForAsync(sandbox, "f");

        var figures = await MeasureAsync(() => SlowDownloadAsync(sandbox, "f", attack.Token));
        Report("fifo", figures, DownloadBoundBytes);
        await EndAsync(sandbox, figures, DownloadBoundBytes);
        await IgnoreAsync(writer);
    }

    // Every process in a sandbox (kernels included) now has RLIMIT_FSIZE (64 MiB), so a 4 TiB sparse file can no longer
    // be made (KernelHardeningTests); the download cap stays as the silo's own bound. This node's cap is lowered to
    // HostileNode.MaxDownloadBytes (48 MiB) so a file a sandbox can still make exercises it.
    [Fact]
    public async Task ASparseFileLargerThanTheDownloadCap_IsRefusedBeforeItsFirstByte()
    {
        var sandbox = await CreateSandboxAsync("python");
        using var made = await node.Attacker.PostAsJsonAsync($"/v1/sandboxes/{sandbox}/code", new { code = $"open('big', 'wb').truncate({HostileNode.MaxDownloadBytes + (8 << 20)})" });
        Assert.True(made.IsSuccessStatusCode, await made.Content.ReadAsStringAsync());

        using var download = await node.Attacker.GetAsync($"/v1/sandboxes/{sandbox}/files?path=big", HttpCompletionOption.ResponseHeadersRead);
        var body = await download.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, download.StatusCode);
        Assert.Equal("too_large", JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
        await EndAsync(sandbox, null, 0);
    }

    [Fact]
    public async Task ASlowDownloadOfASparseFileUnderTheCap_KeepsTheNodeBounded()
    {
        var sandbox = await CreateSandboxAsync("python");
        using var made = await node.Attacker.PostAsJsonAsync($"/v1/sandboxes/{sandbox}/code", new { code = $"open('big', 'wb').truncate({HostileNode.MaxDownloadBytes - 1})" });
        Assert.True(made.IsSuccessStatusCode, await made.Content.ReadAsStringAsync());

        using var attack = new CancellationTokenSource(AttackTime + TimeSpan.FromSeconds(30));
        var figures = await MeasureAsync(() => SlowDownloadAsync(sandbox, "big", attack.Token));
        Report("sparse file", figures, DownloadBoundBytes);
        await EndAsync(sandbox, figures, DownloadBoundBytes);
    }

    [Fact]
    public async Task HundredsOfConcurrentCommandsAtTheMaximumOutputCap_KeepTheNodeBounded()
    {
        const long maxCap = 16L * 1024 * 1024; // SoulBox:Sandbox:MaxOutputBytes
        var sandbox = await CreateSandboxAsync("python");
        var refused = 0;
        var answered = 0;
        var figures = await MeasureAsync(async () =>
        {
            var until = Stopwatch.StartNew();
            var users = Enumerable.Range(0, 200).Select(async user =>
            {
                while (until.Elapsed < AttackTime)
                {
                    var streaming = user % 2 == 0;
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/sandboxes/{sandbox}/commands")
                    {
                        Content = JsonContent.Create(new { cmd = $"yes | head -c {maxCap}; yes e | head -c {maxCap} >&2", timeoutMs = 60_000, maxOutputBytes = maxCap }),
                    };
                    if (streaming)
                    {
                        request.Headers.Accept.ParseAdd("text/event-stream");
                    }

                    var left = AttackTime - until.Elapsed;
                    if (left <= TimeSpan.Zero)
                    {
                        break;
                    }

                    using var timeout = new CancellationTokenSource(left);
                    try
                    {
                        using var response = await node.Attacker.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                        if (response.StatusCode == HttpStatusCode.TooManyRequests)
                        {
                            Interlocked.Increment(ref refused);
                            Assert.NotNull(response.Headers.RetryAfter);
                            await Task.Delay(200, timeout.Token);
                            continue;
                        }

                        Interlocked.Increment(ref answered);
                        // Half read their stream slowly, half never read their answer at all.
                        if (streaming)
                        {
                            await ReadSlowlyAsync(await response.Content.ReadAsStreamAsync(timeout.Token), timeout.Token);
                        }
                        else
                        {
                            await Task.Delay(Timeout.Infinite, timeout.Token);
                        }
                    }
                    catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
                    {
                        // The attack's own deadline, or the node cutting off a reader that does not read.
                    }
                }
            });
            await Task.WhenAll(users);
        });
        output.WriteLine($"commands: {answered} admitted, {refused} answered 429");
        Report("200 concurrent commands", figures, CommandsBoundBytes);
        Assert.True(refused > 0, "the in-flight limits never refused a request");
        await EndAsync(sandbox, figures, CommandsBoundBytes);
    }

    private async Task<string> CreateSandboxAsync(string template)
    {
        using var created = await node.Attacker.PostAsJsonAsync("/v1/sandboxes", new { template, timeoutSeconds = 600 });
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.IsSuccessStatusCode, body);
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        // A sandbox claimed from the warm pool runs in a container made before it, without its label: its hostname
        // (the short container id) is how EndAsync finds it.
        var host = await node.Attacker.CommandAsync(id, "cat /proc/sys/kernel/hostname");
        _containers[id] = host.Text("stdout").Trim();
        Assert.Matches("^[0-9a-f]{12}$", _containers[id]);
        return id;
    }

    private async Task WaitForAsync(string sandbox, string path)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var stat = await node.Attacker.GetAsync($"/v1/sandboxes/{sandbox}/files/stat?path={path}");
            if (stat.IsSuccessStatusCode)
            {
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"{path} did not appear in 30 s");
            await Task.Delay(100);
        }
    }

    /// <summary>Downloads for the attack time, a few KiB every 100 ms. A refusal up front (the agent may refuse a FIFO)
    /// ends it early: then nothing was buffered either.</summary>
    private async Task SlowDownloadAsync(string sandbox, string path, CancellationToken cancellationToken)
    {
        using var response = await node.Attacker.GetAsync($"/v1/sandboxes/{sandbox}/files?path={path}", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            output.WriteLine($"download of {path} refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            Assert.True((int)response.StatusCode is >= 400 and < 500);
            return;
        }

        using var attack = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attack.CancelAfter(AttackTime);
        var read = await ReadSlowlyAsync(await response.Content.ReadAsStreamAsync(cancellationToken), attack.Token);
        output.WriteLine($"download of {path}: {read / 1024} KiB read in {AttackTime.TotalSeconds:F0} s");
        Assert.True(read > 0, "the download sent nothing");
    }

    private static async Task<long> ReadSlowlyAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        long total = 0;
        try
        {
            while (true)
            {
                var read = await body.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return total;
                }

                total += read;
                await Task.Delay(100, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return total;
        }
    }

    /// <summary>Runs the attack while sampling the node's RSS every 250 ms.</summary>
    private static async Task<Figures> MeasureAsync(Func<Task> attack)
    {
        GC.Collect();
        var start = HostileNode.NodeRssBytes();
        var peak = start;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, HostileNode.NodeRssBytes());
                await Task.Delay(250);
            }
        });
        try
        {
            await attack();
        }
        finally
        {
            done.Cancel();
            await sampler;
        }

        return new Figures(start, peak, HostileNode.NodeRssBytes());
    }

    private void Report(string attack, Figures figures, long bound) => output.WriteLine(
        $"{attack}: RSS start {figures.Start / 1048576} MiB, peak {figures.Peak / 1048576} MiB (+{(figures.Peak - figures.Start) / 1048576} MiB), " +
        $"end {figures.End / 1048576} MiB; bound +{bound / 1048576} MiB");

    /// <summary>The bound held, the bystander answers, and the attacker's sandbox goes with no container left.</summary>
    private async Task EndAsync(string sandbox, Figures? figures, long bound)
    {
        if (figures is { } f)
        {
            Assert.True(f.Peak - f.Start < bound, $"the node grew by {(f.Peak - f.Start) / 1048576} MiB (bound {bound / 1048576} MiB)");
        }

        await node.AssertBystanderAnswersAsync();
        using var killed = await node.Attacker.DeleteAsync($"/v1/sandboxes/{sandbox}");
        Assert.True(killed.IsSuccessStatusCode, $"kill: {(int)killed.StatusCode}");
        var deadline = Stopwatch.StartNew();
        string[] left;
        while ((left = [.. await node.ContainersOfSandboxAsync(sandbox), .. await node.ContainerAsync(_containers[sandbox])]).Length > 0
               && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(250);
        }

        Assert.True(left.Length == 0, $"container(s) of sandbox {sandbox} left: {string.Join(", ", left)}");
    }

    private static async Task IgnoreAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
        {
        }
    }

    private readonly record struct Figures(long Start, long Peak, long End);
}
