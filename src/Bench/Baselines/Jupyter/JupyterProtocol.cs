using System.Text.Json;
using System.Text.Json.Serialization;

namespace SoulBox.Bench.Baselines.Jupyter;

/// <summary>One cell's outcome as the kernel driver (images/bench-jupyter/kernel_driver.py) reports it:
/// the execute_reply status ("ok", "error", or "timeout" when the driver gave up), the stdout and stderr
/// streams the kernel published on IOPub, and the error as "Name: value".</summary>
internal sealed record JupyterReply(string Status, string Stdout, string Stderr, string? Error)
{
    /// <summary>Null when the cell ran and printed <paramref name="expected"/>; else a short error kind for the
    /// latency recorder (the same kinds a SoulBox run reports: wrong output, or the status).</summary>
    public string? Check(string expected) => Status switch
    {
        "ok" => Stdout.Contains(expected, StringComparison.Ordinal) ? null : "wrong output",
        "timeout" => "kernel timeout",
        _ => Error is null ? $"kernel {Status}" : $"kernel error: {Error.Split(':')[0]}",
    };
}

/// <summary>The bench ↔ kernel driver wire format over the driver's Unix socket: one JSON object per line each
/// way, a request <c>{"code": "..."}</c> and a reply <c>{"status", "stdout", "stderr", "error"}</c>.</summary>
internal static class JupyterProtocol
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The request line for <paramref name="code"/>, newline included (JSON escapes the code's own newlines).</summary>
    public static string Request(string code) => JsonSerializer.Serialize(new RequestLine(code), Json) + "\n";

    /// <summary>Parses one reply line; a line that is not a reply object throws <see cref="InvalidDataException"/>
    /// naming what was wrong, so a broken driver shows up as an error kind, not as wrong figures.</summary>
    public static JupyterReply ParseReply(string line)
    {
        ReplyLine? reply;
        try
        {
            reply = JsonSerializer.Deserialize<ReplyLine>(line, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"kernel driver sent a line that is not JSON: {Shorten(line)} ({e.Message})", e);
        }

        if (reply?.Status is not { Length: > 0 } status)
        {
            throw new InvalidDataException($"kernel driver reply has no status: {Shorten(line)}");
        }

        return new JupyterReply(status, reply.Stdout ?? "", reply.Stderr ?? "", reply.Error);
    }

    private static string Shorten(string line) => line.Length <= 120 ? line : line[..120] + "…";

    private sealed record RequestLine(string Code);

    private sealed record ReplyLine(string? Status, string? Stdout, string? Stderr, string? Error);
}
