using System.Diagnostics;
using System.Text;

namespace SoulBox.E2b.Tests;

/// <summary>Runs one of Programs/*.mjs under node with an installed SDK set. The programs are copied next to that
/// set's node_modules (artifacts/e2b-sdks/&lt;sdk&gt;/programs) so that their bare imports (<c>'e2b'</c>,
/// <c>'@e2b/code-interpreter'</c>) resolve exactly as in a user's project; Programs/loopback-only.mjs is preloaded so
/// that a connection to anything but loopback fails the program instead of leaving the machine.</summary>
public static class NodeProgram
{
    /// <summary>The only variables the SDK reads to find its backend; all of them are set or cleared here.</summary>
    private static readonly string[] E2bVariables =
        ["E2B_API_KEY", "E2B_ACCESS_TOKEN", "E2B_API_URL", "E2B_SANDBOX_URL", "E2B_DOMAIN", "E2B_DEBUG", "E2B_USER_AGENT_SOURCE"];

    public static async Task<ProgramRun> RunAsync(string program, string sdk, Uri node, string apiKey, string otherTenantKey, TimeSpan timeout)
    {
        if (!node.IsLoopback)
        {
            throw new ArgumentException($"the end-to-end programs only ever talk to loopback, not {node}", nameof(node));
        }

        var sdkDirectory = E2bSdks.Directory(sdk);
        var programs = Path.Combine(sdkDirectory, "programs");
        System.IO.Directory.CreateDirectory(programs);
        var source = Path.Combine(AppContext.BaseDirectory, "Programs");
        foreach (var file in System.IO.Directory.GetFiles(source, "*.mjs"))
        {
            File.Copy(file, Path.Combine(programs, Path.GetFileName(file)), overwrite: true);
        }

        var baseUrl = node.GetLeftPart(UriPartial.Authority);
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { "--import", new Uri(Path.Combine(programs, "loopback-only.mjs")).AbsoluteUri, Path.Combine(programs, program) },
            WorkingDirectory = sdkDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var variable in E2bVariables)
        {
            start.Environment.Remove(variable);
        }

        start.Environment["E2B_API_KEY"] = apiKey;
        start.Environment["E2B_API_URL"] = baseUrl;
        start.Environment["E2B_SANDBOX_URL"] = baseUrl;
        // Programs for other clients (piston.mjs) read the node's address from here: it is not an E2B variable.
        start.Environment["SOULBOX_URL"] = baseUrl;
        // Only the other-tenant check reads it (passed as apiKey to one call): it is not an E2B variable.
        start.Environment["SOULBOX_E2E_OTHER_API_KEY"] = otherTenantKey;
        start.Environment["NO_PROXY"] = "127.0.0.1,localhost";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Append(stderr, $"[test] killed: {program} did not finish within {timeout.TotalSeconds} s");
            return new ProgramRun(program, sdk, -1, Text(stdout), Text(stderr));
        }

        process.WaitForExit(); // drains the asynchronous readers
        return new ProgramRun(program, sdk, process.ExitCode, Text(stdout), Text(stderr));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
