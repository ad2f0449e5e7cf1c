using System.Diagnostics;

namespace SoulBox.E2b.Tests;

/// <summary>The installed E2B SDK sets (artifacts/e2b-sdks/&lt;name&gt;, made by scripts/e2b-sdks.sh from the lock files in
/// scripts/e2b-sdks): <see cref="Current"/> is e2b 2.51.0 + @e2b/code-interpreter 2.8.0, <see cref="Legacy"/> e2b 2.49.1
/// (the old <c>/sandboxes</c> create and connect paths) with the same code interpreter.</summary>
public static class E2bSdks
{
    public const string Current = "current";
    public const string Legacy = "legacy";

    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool _installed;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Directory(string sdk) => Path.Combine(RepositoryRoot, "artifacts", "e2b-sdks", sdk);

    /// <summary>Runs scripts/e2b-sdks.sh once per test run (it returns at once when both sets are current); its
    /// output is in the exception when it fails (node missing or too old, the registry unreachable, ...).</summary>
    public static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (_installed)
            {
                return;
            }

            var start = new ProcessStartInfo("bash")
            {
                ArgumentList = { Path.Combine(RepositoryRoot, "scripts", "e2b-sdks.sh"), Current, Legacy },
                WorkingDirectory = RepositoryRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash scripts/e2b-sdks.sh");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"scripts/e2b-sdks.sh did not finish within 5 minutes (npm install of the E2B SDKs):\n{await stdout}\n{await stderr}");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"scripts/e2b-sdks.sh failed with exit code {process.ExitCode}: the E2B SDKs are not installed.\n{await stdout}\n{await stderr}");
            }

            _installed = true;
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SoulBox.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no SoulBox.sln above {AppContext.BaseDirectory}");
    }
}
