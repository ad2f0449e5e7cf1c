using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SoulBox.Client;

namespace SoulBox.Hostile.Tests;

/// <summary>One real node (role both) for the whole hostile suite, under a node name of its own so its
/// containers can be counted by label, plus a .NET client connected to it and a bystander sandbox of another
/// tenant that every case checks still answers after its attack.</summary>
public sealed class HostileNode : IAsyncLifetime
{
    public const string AttackerKey = "hostile-attacker-key-0000000000001";
    public const string BystanderKey = "hostile-bystander-key-000000000002";
    public const string OtherKey = "hostile-other-key-00000000000000003";

    /// <summary>This node's download cap: below the 64 MiB file-size limit every sandbox process has, so a file a
    /// sandbox can make can pass it.</summary>
    public const long MaxDownloadBytes = 48L * 1024 * 1024;

    private Factory? _factory;
    private IHost? _clientHost;

    /// <summary>Unique per run: containers carry it as label soulbox.node.</summary>
    public string NodeName { get; } = $"hostile{Guid.NewGuid():N}"[..16];

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public HttpClient Attacker { get; private set; } = null!;

    public HttpClient Bystander { get; private set; } = null!;

    public HttpClient Other { get; private set; } = null!;

    /// <summary>The .NET client, connected through the node's Orleans gateway (tenant-less, like any grain caller).</summary>
    public ISoulBoxClient DotNet { get; private set; } = null!;

    /// <summary>The bystander's python sandbox, created once.</summary>
    public string BystanderSandbox { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var port = FreePort();
        var gatewayPort = FreePort();
        _factory = new Factory(port, new Dictionary<string, string?>
        {
            ["SoulBox:NodeName"] = NodeName,
            // Sandboxes left at the end are not waited for when the fixture stops the node (a drain's default is 30 s).
            ["SoulBox:Drain:DeadlineSeconds"] = "0",
            ["SoulBox:SiloPort"] = FreePort().ToString(),
            ["SoulBox:GatewayPort"] = gatewayPort.ToString(),
            ["SoulBox:Auth:Keys:" + AttackerKey] = "attacker",
            ["SoulBox:Auth:Keys:" + BystanderKey] = "bystander",
            ["SoulBox:Auth:Keys:" + OtherKey] = "other",
            ["SoulBox:Limits:RequestsPerSecond"] = "0",
            ["SoulBox:Sandbox:MaxDownloadBytes"] = MaxDownloadBytes.ToString(),
            // OneShotLeftoverTests must land a run in the executor a previous run dirtied: keep every one of a key.
            ["SoulBox:Sandbox:IdleExecutorsPerTemplate"] = "8",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        _factory.StartServer();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Attacker = Client(AttackerKey);
        Bystander = Client(BystanderKey);
        Other = Client(OtherKey);

        var deadline = DateTime.UtcNow.AddSeconds(90);
        using (var anonymous = Client(null))
        {
            while (true)
            {
                using var ready = await anonymous.GetAsync("/ready");
                if (ready.IsSuccessStatusCode)
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"The node did not become ready in 90 s: {await ready.Content.ReadAsStringAsync()}");
                }

                await Task.Delay(250);
            }
        }

        var builder = Host.CreateApplicationBuilder();
        builder.AddSoulBoxClient(o => o.GatewayPort = gatewayPort);
        _clientHost = builder.Build();
        await _clientHost.StartAsync();
        DotNet = _clientHost.Services.GetRequiredService<ISoulBoxClient>();

        using var created = await Bystander.PostAsJsonAsync("/v1/sandboxes", new { template = "python", timeoutSeconds = 3600 });
        created.EnsureSuccessStatusCode();
        BystanderSandbox = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>Asserts that the node still serves: the bystander's sandbox runs code and a one-shot run works.</summary>
    public async Task AssertBystanderAnswersAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var run = await Bystander.PostAsJsonAsync($"/v1/sandboxes/{BystanderSandbox}/code", new { code = "6 * 7" }, timeout.Token);
        var body = await run.Content.ReadAsStringAsync(timeout.Token);
        Assert.True(run.IsSuccessStatusCode && body.Contains("42"), $"bystander sandbox: {(int)run.StatusCode} {body}");

        using var once = await Bystander.PostAsJsonAsync("/api/v2/execute", new
        {
            language = "python",
            version = "*",
            files = new[] { new { content = "print(6 * 7)" } },
        }, timeout.Token);
        var onceBody = await once.Content.ReadAsStringAsync(timeout.Token);
        Assert.True(once.IsSuccessStatusCode && onceBody.Contains("42"), $"bystander one-shot: {(int)once.StatusCode} {onceBody}");
    }

    /// <summary>Containers of this node (any state), by label.</summary>
    public async Task<string[]> ContainersAsync(string? purpose = null)
    {
        var args = new List<string> { "ps", "-aq", "--filter", $"label=soulbox.node={NodeName}" };
        if (purpose is not null)
        {
            args.AddRange(["--filter", $"label=soulbox.purpose={purpose}"]);
        }

        var output = await Docker(args.ToArray());
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Containers (any state) of one sandbox, by label.</summary>
    public async Task<string[]> ContainersOfSandboxAsync(string sandboxId)
    {
        var output = await Docker("ps", "-aq", "--filter", $"label=soulbox.sandbox={sandboxId}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The container with this (short) id, if it still exists in any state.</summary>
    public async Task<string[]> ContainerAsync(string containerId)
    {
        var output = await Docker("ps", "-aq", "--filter", $"id={containerId}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static async Task<string> Docker(params string[] args)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return $"{await stdout}{await stderr}".Trim();
    }

    /// <summary>Resident memory of this process (the node runs in it), in bytes.</summary>
    public static long NodeRssBytes()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }

    public async Task DisposeAsync()
    {
        foreach (var client in new[] { Attacker, Bystander, Other })
        {
            client?.Dispose();
        }

        if (_clientHost is not null)
        {
            await _clientHost.StopAsync();
            _clientHost.Dispose();
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        // The node removes its containers when it stops; anything left is a leak worth seeing in the log.
        var left = await ContainersAsync();
        if (left.Length > 0)
        {
            Console.Error.WriteLine($"hostile suite: {left.Length} container(s) of node {NodeName} left after shutdown; removing them");
            await Docker(["rm", "-f", .. left]);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Factory : WebApplicationFactory<Program>
    {
        private readonly Dictionary<string, string?> _settings;

        public Factory(int port, Dictionary<string, string?> settings)
        {
            _settings = settings;
            UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class HostileCollection : ICollectionFixture<HostileNode>
{
    public const string Name = "hostile";
}
