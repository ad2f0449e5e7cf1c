using System.Text.Json;
using SoulBox.Bench.Baselines.Jupyter;

namespace SoulBox.Bench.Tests;

/// <summary>The bench's side of the kernel driver's line protocol (images/bench-jupyter/kernel_driver.py).</summary>
public sealed class JupyterProtocolTests
{
    [Fact]
    public void Request_IsOneJsonLineCarryingTheCodeVerbatim()
    {
        var line = JupyterProtocol.Request(Workloads.FibPython);

        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line[..^1]);
        using var json = JsonDocument.Parse(line);
        Assert.Equal(Workloads.FibPython, json.RootElement.GetProperty("code").GetString());
        Assert.Single(json.RootElement.EnumerateObject());
    }

    [Fact]
    public void ParseReply_ReadsWhatTheDriverWrites()
    {
        // Python's json.dumps of the driver's reply dict: snake-free keys, null for no error, escaped newlines.
        var reply = JupyterProtocol.ParseReply("""{"status": "ok", "stdout": "55\n", "stderr": "", "error": null}""");

        Assert.Equal(new JupyterReply("ok", "55\n", "", null), reply);
        Assert.Null(reply.Check(Workloads.FibOutput));
    }

    [Fact]
    public void ParseReply_DefaultsMissingStreamsToEmpty()
    {
        var reply = JupyterProtocol.ParseReply("""{"status": "timeout", "error": "no idle status"}""");

        Assert.Equal(new JupyterReply("timeout", "", "", "no idle status"), reply);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"stdout": "55\n"}""")]
    [InlineData("""{"status": ""}""")]
    [InlineData("null")]
    public void ParseReply_RejectsLinesThatAreNotReplies(string line)
    {
        var error = Assert.Throws<InvalidDataException>(() => JupyterProtocol.ParseReply(line));

        Assert.Contains("kernel driver", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ok", "55\n", null, null)]
    [InlineData("ok", "54\n", null, "wrong output")]
    [InlineData("error", "", "ZeroDivisionError: division by zero", "kernel error: ZeroDivisionError")]
    [InlineData("error", "", null, "kernel error")]
    [InlineData("aborted", "", null, "kernel aborted")]
    [InlineData("timeout", "", "no execute_reply", "kernel timeout")]
    public void Check_NamesTheErrorKindTheLatencyRecorderCounts(string status, string stdout, string? error, string? expected)
    {
        Assert.Equal(expected, new JupyterReply(status, stdout, "", error).Check("55"));
    }
}
