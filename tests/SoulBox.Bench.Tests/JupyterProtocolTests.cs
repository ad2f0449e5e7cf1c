using System.Net.Sockets;
using System.Text;
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

    [Fact]
    public async Task Kernel_SendsACellPerLineAndOpensANewConnectionAfterOneIsCut()
    {
        // A fake driver on a Unix socket: answers the first connection's one cell, then hangs up; answers again
        // on the next connection. No container: the bench side of the socket protocol alone.
        var directory = Directory.CreateTempSubdirectory("soulbox-kernel-");
        try
        {
            var kernel = new JupyterKernel("fake", directory.FullName);
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(kernel.SocketPath));
            listener.Listen(2);
            var received = new List<string>();
            var driver = Task.Run(async () =>
            {
                for (var connection = 0; connection < 2; connection++)
                {
                    using var socket = await listener.AcceptAsync();
                    using var stream = new NetworkStream(socket);
                    using var reader = new StreamReader(stream, Encoding.UTF8);
                    var line = await reader.ReadLineAsync();
                    received.Add(JsonDocument.Parse(line!).RootElement.GetProperty("code").GetString()!);
                    await stream.WriteAsync(Encoding.UTF8.GetBytes($$"""{"status": "ok", "stdout": "{{connection}}\n", "stderr": "", "error": null}""" + "\n"));
                }
            });

            await using (kernel)
            {
                await kernel.ConnectAsync(CancellationToken.None);
                var first = await kernel.ExecuteAsync("print(0)", CancellationToken.None);
                await Assert.ThrowsAsync<IOException>(() => kernel.ExecuteAsync("print(1)", CancellationToken.None));
                var second = await kernel.ExecuteAsync("print(1)", CancellationToken.None);

                Assert.Equal("0\n", first.Stdout);
                Assert.Equal("1\n", second.Stdout);
            }

            await driver;
            Assert.Equal(["print(0)", "print(1)"], received);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
