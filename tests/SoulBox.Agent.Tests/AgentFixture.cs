using System.Diagnostics;
using System.Text;

namespace SoulBox.Agent.Tests;

/// <summary>Runs one published agent on the host with its own temp work/tmp/state directories.
/// Each fixture uses its own sandbox uid (61000 + n, or $SOULBOX_TEST_UID_BASE + n): Reset kills every process of that uid, which
/// must not hit other fixtures (or anything else on the machine that runs as uid 1000).</summary>
public class AgentFixture : IAsyncLifetime
{
    // SOULBOX_TEST_UID_BASE lets two checkouts run this suite side by side without killing each other's processes.
    private static int _nextUid = int.TryParse(Environment.GetEnvironmentVariable("SOULBOX_TEST_UID_BASE"), out var uidBase) ? uidBase : 61000;
    private static readonly SemaphoreSlim PublishLock = new(1, 1);
    private readonly StringBuilder _log = new();
    private Process? _agent;

    public int Uid { get; } = TakeUid();

    /// <summary>A sandbox uid no other fixture of this run uses.</summary>
    public static int TakeUid() => Interlocked.Increment(ref _nextUid);

    /// <summary>Runs the agent as a one-shot executor (--executor).</summary>
    protected virtual bool Executor => false;

    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"soulbox-agent-test-{Guid.NewGuid():N}");

    public string WorkDir => Path.Combine(Root, "work");

    public string TmpDir => Path.Combine(Root, "tmp");

    /// <summary>Stands in for /dev/shm: the reset empties it, and must never touch the host's.</summary>
    public string ShmDir => Path.Combine(Root, "shm");

    public string HelperPath => Path.Combine(Root, "agent", "soulbox-exec");

    public string SocketPath => Path.Combine(Root, "state", "agent.sock");

    public string AgentLog
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        var published = await EnsurePublishedAsync();
        Directory.CreateDirectory(Root);
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        // A copy the sandbox uid can read (the repository may sit below directories it cannot enter).
        var agentDir = Path.Combine(Root, "agent");
        CopyDirectory(published, agentDir);
        Directory.CreateDirectory(WorkDir);
        Directory.CreateDirectory(TmpDir);
        Directory.CreateDirectory(ShmDir);
        File.SetUnixFileMode(ShmDir, (UnixFileMode)0b1_111_111_111);
        Directory.CreateDirectory(Path.Combine(Root, "state"));
        File.SetUnixFileMode(Path.Combine(Root, "state"), (UnixFileMode)0b111_000_000);
        await PrepareDirectoriesAsync();
        await RunAsync("chown", $"{Uid}:{Uid}", WorkDir, TmpDir);

        var info = new ProcessStartInfo(Path.Combine(agentDir, "soulbox-agent"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--socket", SocketPath, "--work-dir", WorkDir, "--tmp-dir", TmpDir,
                     "--uid", Uid.ToString(), "--gid", Uid.ToString(),
                     // The host's /dev/shm and /dev/mqueue belong to everyone else on the machine.
                     "--shm-dir", ShmDir, "--mqueue-dir", "none",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        if (Executor)
        {
            info.ArgumentList.Add("--executor");
        }

        _agent = Process.Start(info)!;
        _agent.ErrorDataReceived += (_, e) =>
        {
            lock (_log)
            {
                _log.AppendLine(e.Data);
            }
        };
        _agent.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(SocketPath))
        {
            if (_agent.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException($"The agent did not create its socket within 10 s. Log:\n{AgentLog}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Runs after the directories are made and before they are given to the sandbox uid and the agent starts.</summary>
    protected virtual Task PrepareDirectoriesAsync() => Task.CompletedTask;

    /// <summary>Runs after the agent stopped and before the directories are deleted.</summary>
    protected virtual Task CleanUpDirectoriesAsync() => Task.CompletedTask;

    public Task<AgentClient> ConnectAsync(bool hello = true) => AgentClient.ConnectAsync(SocketPath, hello);

    public async Task DisposeAsync()
    {
        try
        {
            await using var client = await ConnectAsync();
            await client.CallAsync<SoulBox.Agent.Protocol.OkEvent>(new SoulBox.Agent.Protocol.ResetRequest());
        }
        catch (Exception)
        {
            // Best effort: the agent may already be gone.
        }

        if (_agent is { HasExited: false })
        {
            _agent.Kill();
            await _agent.WaitForExitAsync();
        }

        await CleanUpDirectoriesAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The repository's artifacts/agent, published once per test run when missing
    /// (set SOULBOX_AGENT_REPUBLISH=1 to force a fresh publish).</summary>
    private static async Task<string> EnsurePublishedAsync()
    {
        var repo = FindRepositoryRoot();
        var output = Path.Combine(repo, "artifacts", "agent");
        await PublishLock.WaitAsync();
        try
        {
            var forced = Environment.GetEnvironmentVariable("SOULBOX_AGENT_REPUBLISH") == "1";
            if (forced || !File.Exists(Path.Combine(output, "soulbox-agent")) || !File.Exists(Path.Combine(output, "soulbox-exec")))
            {
                Environment.SetEnvironmentVariable("SOULBOX_AGENT_REPUBLISH", null);
                await RunAsync("dotnet", "publish", Path.Combine(repo, "src", "Agent", "SoulBox.Agent.csproj"), "-c", "Release", "-o", output);
            }
        }
        finally
        {
            PublishLock.Release();
        }

        return output;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "src", "Agent", "SoulBox.Agent.csproj")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (src/Agent/SoulBox.Agent.csproj) above the test binaries.");
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            if (!file.EndsWith(".dbg", StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
            }
        }

        foreach (var directory in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(directory, Path.Combine(destination, Path.GetFileName(directory)));
        }
    }

    public static async Task<string> RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        }

        return await stdout;
    }
}
