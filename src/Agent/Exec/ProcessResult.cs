using System.Text.Json;

namespace SoulBox.Agent.Exec;

/// <summary>How a sandboxed process ended, as soulbox-exec reported it in its result file.</summary>
internal sealed record ProcessResult(int? ExitCode, int? Signal, double CpuTimeMs, long PeakMemoryBytes)
{
    /// <summary>Reported when the helper itself died before writing a result (it only dies to SIGKILL).</summary>
    public static readonly ProcessResult Unknown = new(null, Libc.SIGKILL, 0, 0);

    /// <summary>Parses the helper's final result line (the line with "exitCode"); see soulbox-exec.c.</summary>
    public static ProcessResult Parse(string[] lines)
    {
        var line = lines.LastOrDefault(l => l.Contains("\"exitCode\"", StringComparison.Ordinal));
        if (line is null)
        {
            return Unknown;
        }

        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        return new ProcessResult(
            ReadInt(root, "exitCode"),
            ReadInt(root, "signal"),
            root.GetProperty("cpuMs").GetDouble(),
            root.GetProperty("peakRssKb").GetInt64() * 1024);
    }

    private static int? ReadInt(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;
}
