using System.Diagnostics;

namespace SoulBox.Agent.Exec;

/// <summary>Runs one of soulbox-exec's root modes (<c>reset</c>, <c>killuser</c>) to completion. They
/// print nothing on success and one line on failure, which becomes the exception's message.</summary>
internal static class HelperCommand
{
    public static async Task RunAsync(string helperPath, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(helperPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // A root helper starts with nothing of the agent's environment.
        info.Environment.Clear();
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {helperPath}.");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var error = (await stderr.ConfigureAwait(false)).Trim();
        await stdout.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new HelperFailedException($"soulbox-exec {args[0]} failed (exit {process.ExitCode}): {(error.Length > 0 ? error : "no message")}");
        }
    }
}

/// <summary>A soulbox-exec root mode reported failure.</summary>
internal sealed class HelperFailedException(string message) : Exception(message);
