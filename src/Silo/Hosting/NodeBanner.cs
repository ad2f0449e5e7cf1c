using System.Diagnostics;
using SoulBox.Client;

namespace SoulBox.Silo.Hosting;

/// <summary>Tells the operator the node is up and how to use it; with SoulBox:Demo, runs a hello world in
/// every template present, so a first start shows the whole path working.</summary>
internal sealed partial class NodeBanner(SoulBoxNodeOptions options, ISoulBoxClient soulbox, IHostApplicationLifetime lifetime, ILogger<NodeBanner> logger) : BackgroundService
{
    private static readonly Dictionary<string, string> Hello = new()
    {
        [Languages.Python] = "import platform\nprint(f'hello from Python {platform.python_version()}')",
        [Languages.JavaScript] = "console.log(`hello from Node ${process.version}`)",
        [Languages.Go] = "package main\nimport (\"fmt\"; \"runtime\")\nfunc main() { fmt.Println(\"hello from\", runtime.Version()) }",
        [Languages.Java] = "public class Main { public static void main(String[] a) { System.out.println(\"hello from Java \" + System.getProperty(\"java.version\")); } }",
        // The language templates' default languages (scripts/setup.sh --languages all).
        [Languages.C] = "#include <stdio.h>\nint main(void) { printf(\"hello from C (gcc %s)\\n\", __VERSION__); return 0; }",
        [Languages.Rust] = "fn main() { println!(\"hello from Rust\"); }",
        [Languages.TypeScript] = "const greeting: string = `hello from TypeScript on Node ${process.version}`;\nconsole.log(greeting);",
        [Languages.Ruby] = "puts \"hello from Ruby #{RUBY_VERSION}\"",
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken))
        {
            return;
        }

        LogUp(options.ResolvedNodeName, options.Role, options.GatewayPort, options.Redis is null ? "localhost (single node)" : "Redis");
        if (!options.Demo || !options.IsWorker)
        {
            return;
        }

        var templates = (await soulbox.GetTemplatesAsync(stoppingToken)).Where(t => t.Available).ToList();
        if (templates.Count == 0)
        {
            LogNoTemplates();
            return;
        }

        foreach (var template in templates)
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                await using var sandbox = await soulbox.CreateSandboxAsync(new SandboxCreateOptions { Template = template.Name, TimeoutSeconds = 60 }, stoppingToken);
                var created = Stopwatch.GetElapsedTime(started);
                // A template whose language has no hello here (a newer image) still gets a shell hello.
                var result = Hello.TryGetValue(template.Language, out var hello)
                    ? await sandbox.RunCodeAsync(hello, template.Language, stoppingToken)
                    : await sandbox.RunCodeAsync($"echo hello from the {template.Name} template", Languages.Shell, stoppingToken);
                LogDemo(template.Name, sandbox.Id, created.TotalMilliseconds, result.WallTimeMs, result.Status.ToWire(), (result.Stdout + result.Stderr + result.Error?.Value).Trim());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogDemoFailed(e, template.Name);
            }
        }

        LogDemoDone();
    }

    private async Task<bool> WaitForStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(started.SetResult);
        await Task.WhenAny(started.Task, Task.Delay(Timeout.Infinite, stoppingToken));
        return started.Task.IsCompleted;
    }

    [LoggerMessage(1, LogLevel.Information, "SoulBox node '{Node}' is up (role {Role}, Orleans gateway port {GatewayPort}, clustering {Clustering}). Connect a .NET app with builder.AddSoulBoxClient(); stop with Ctrl+C.")]
    private partial void LogUp(string node, string role, int gatewayPort, string clustering);

    [LoggerMessage(2, LogLevel.Information, "demo [{Template}] sandbox {SandboxId} created in {CreateMs:F0} ms, ran in {RunMs:F1} ms, {Status}: {Output}")]
    private partial void LogDemo(string template, string sandboxId, double createMs, double runMs, string status, string output);

    [LoggerMessage(3, LogLevel.Error, "demo [{Template}] failed")]
    private partial void LogDemoFailed(Exception exception, string template);

    [LoggerMessage(4, LogLevel.Warning, "No runtime images found on this node; run scripts/setup.sh to build them.")]
    private partial void LogNoTemplates();

    [LoggerMessage(5, LogLevel.Information, "Demo done. The node keeps running; press Ctrl+C to stop it.")]
    private partial void LogDemoDone();
}
