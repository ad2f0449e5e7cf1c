using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SoulBox.Silo.E2b.Envd;
using SoulBox.Silo.E2b.Envd.Connect;
using SoulBox.Silo.E2b.Envd.Protos.Filesystem;
using Rpc = SoulBox.Silo.E2b.Envd.Protos.Process;

namespace SoulBox.Silo.Tests.E2b.Envd;

/// <summary>Connect's framing and the proto3 JSON the E2B SDK reads and writes, without a node.</summary>
public sealed class ConnectFramingTests
{
    private static byte[] Envelope(byte flags, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var frame = new byte[5 + body.Length];
        frame[0] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)body.Length);
        body.CopyTo(frame, 5);
        return frame;
    }

    [Fact]
    public void Write_PutsFlagsAndABigEndianLengthBeforeTheUtf8Message()
    {
        var writer = new ArrayBufferWriter<byte>();
        ConnectEnvelope.Write(writer, ConnectEnvelope.EndStreamFlag, "{\"é\":1}");
        Assert.Equal(Envelope(0x02, "{\"é\":1}"), writer.WrittenSpan.ToArray());
        Assert.Equal(new byte[] { 0x02, 0, 0, 0, 8 }, writer.WrittenSpan[..5].ToArray()); // é is two bytes
    }

    [Fact]
    public void TryReadSingle_ReturnsTheMessage_OnlyOnceTheWholeEnvelopeIsThere()
    {
        var frame = Envelope(0, "{\"path\":\"/home/user\"}");
        for (var cut = 0; cut < frame.Length; cut++)
        {
            Assert.False(ConnectEnvelope.TryReadSingle(new ReadOnlySequence<byte>(frame, 0, cut), complete: false, 1024, out _, out var waiting));
            Assert.Null(waiting);
            Assert.False(ConnectEnvelope.TryReadSingle(new ReadOnlySequence<byte>(frame, 0, cut), complete: true, 1024, out _, out var truncated));
            Assert.NotNull(truncated);
        }

        Assert.True(ConnectEnvelope.TryReadSingle(new ReadOnlySequence<byte>(frame), complete: true, 1024, out var message, out var error));
        Assert.Null(error);
        Assert.Equal("{\"path\":\"/home/user\"}", message);
    }

    [Theory]
    [InlineData(0x01, "Compressed")]
    [InlineData(0x02, "flags 0x02")]
    public void TryReadSingle_RefusesFlaggedEnvelopes(byte flags, string expected)
    {
        Assert.False(ConnectEnvelope.TryReadSingle(new ReadOnlySequence<byte>(Envelope(flags, "{}")), true, 1024, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void TryReadSingle_RefusesAnOversizedLength_BeforeItsBytesArrive()
    {
        var header = new byte[] { 0, 0x7F, 0xFF, 0xFF, 0xFF };
        Assert.False(ConnectEnvelope.TryReadSingle(new ReadOnlySequence<byte>(header), complete: false, 1024, out _, out var error));
        Assert.Contains("at most 1024", error);
    }

    [Fact]
    public void TryReadSingle_RefusesASecondMessage()
    {
        var two = Envelope(0, "{}").Concat(Envelope(0, "{}")).ToArray();
        Assert.False(ConnectEnvelope.TryReadSingle(new ReadOnlySequence<byte>(two), true, 1024, out _, out var error));
        Assert.Contains("more than one", error);
    }

    [Fact]
    public void EndStream_IsAnEmptyObject_OrTheErrorWithItsCode()
    {
        Assert.Equal("{}", ConnectEnvelope.EndStreamJson(null));
        var json = ConnectEnvelope.EndStreamJson(new ConnectException(ConnectCodes.DeadlineExceeded, "took \"too\" long"));
        using var document = JsonDocument.Parse(json);
        Assert.Equal("deadline_exceeded", document.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("took \"too\" long", document.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(ConnectCodes.NotFound, 404)]
    [InlineData(ConnectCodes.InvalidArgument, 400)]
    [InlineData(ConnectCodes.AlreadyExists, 409)]
    [InlineData(ConnectCodes.DeadlineExceeded, 504)]
    [InlineData(ConnectCodes.Unimplemented, 501)]
    [InlineData(ConnectCodes.ResourceExhausted, 429)]
    [InlineData(ConnectCodes.Unavailable, 503)]
    [InlineData(ConnectCodes.PermissionDenied, 403)]
    [InlineData(ConnectCodes.Internal, 500)]
    public void UnaryErrors_CarryConnectsHttpStatus(string code, int status) => Assert.Equal(status, ConnectCodes.HttpStatusOf(code));

    [Theory]
    [InlineData(ErrorCodes.FileNotFound, ConnectCodes.NotFound)]
    [InlineData(ErrorCodes.ProcessNotFound, ConnectCodes.NotFound)]
    [InlineData(ErrorCodes.AlreadyExists, ConnectCodes.AlreadyExists)]
    [InlineData(ErrorCodes.PathEscape, ConnectCodes.InvalidArgument)]
    [InlineData(ErrorCodes.NoSpace, ConnectCodes.ResourceExhausted)]
    [InlineData(ErrorCodes.SandboxExpired, ConnectCodes.Unavailable)]
    public void SoulBoxErrors_BecomeTheConnectCodesTheSdkExpects(string soulBox, string connect) => Assert.Equal(connect, EnvdErrors.CodeOf(soulBox));

    [Theory]
    [InlineData(ErrorCodes.FileNotFound, 404)]
    [InlineData(ErrorCodes.PathEscape, 400)]
    [InlineData(ErrorCodes.TooLarge, 413)]
    [InlineData(ErrorCodes.NoSpace, 507)]
    [InlineData(ErrorCodes.SandboxExpired, 502)]
    public void FilesErrors_CarryEnvdsHttpStatus(string code, int status) =>
        Assert.Equal(status, EnvdFiles.StatusOf(new SoulBoxException(code, "x")));

    [Fact]
    public void Formatter_WritesEnumsByName_BytesAsBase64_Int64AsString_AndCamelCase()
    {
        var data = ConnectJson.Formatter.Format(new Rpc.StartResponse
        {
            Event = new Rpc.ProcessEvent { Data = new Rpc.ProcessEvent.Types.DataEvent { Stdout = ByteString.CopyFrom(0, 255, 10) } },
        });
        Assert.Equal("{ \"event\": { \"data\": { \"stdout\": \"AP8K\" } } }", data);

        var entry = ConnectJson.Formatter.Format(new EntryInfo
        {
            Name = "a",
            Type = FileType.Directory,
            Size = 5_000_000_000,
            ModifiedTime = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeSeconds(0)),
        });
        using var document = JsonDocument.Parse(entry);
        Assert.Equal("FILE_TYPE_DIRECTORY", document.RootElement.GetProperty("type").GetString());
        Assert.Equal("5000000000", document.RootElement.GetProperty("size").GetString());
        Assert.Equal("1970-01-01T00:00:00Z", document.RootElement.GetProperty("modifiedTime").GetString());
    }

    [Fact]
    public void Parser_TakesWhatTheSdkSends_SnakeCaseEnumsByNameAndUnknownFields()
    {
        var signal = ConnectUnary.Parse<Rpc.SendSignalRequest>("{\"process\":{\"pid\":42},\"signal\":\"SIGNAL_SIGKILL\",\"future_field\":1}");
        Assert.Equal(42u, signal.Process.Pid);
        Assert.Equal(Rpc.Signal.Sigkill, signal.Signal);

        var input = ConnectUnary.Parse<Rpc.SendInputRequest>("{\"process\":{\"tag\":\"t\"},\"input\":{\"stdin\":\"aGk=\"}}");
        Assert.Equal("hi", input.Input.Stdin.ToStringUtf8());
        Assert.Equal("t", input.Process.Tag);

        var watch = ConnectUnary.Parse<WatchDirRequest>("{\"path\":\"/x\",\"include_entry\":true}");
        Assert.True(watch.IncludeEntry);

        var bad = Assert.Throws<ConnectException>(() => ConnectUnary.Parse<Rpc.SendSignalRequest>("{\"process\":"));
        Assert.Equal(ConnectCodes.InvalidArgument, bad.Code);
    }

    [Fact]
    public void Start_MapsCmdAndArgsToArgv_StdinDefaultsToOpen_AndLifetimeIsTheTimeout()
    {
        var request = ConnectUnary.Parse<Rpc.StartRequest>(
            "{\"process\":{\"cmd\":\"/bin/bash\",\"args\":[\"-l\",\"-c\",\"echo hi\"],\"envs\":{\"A\":\"1\"},\"cwd\":\"/tmp\"},\"tag\":\"web\"}");
        var start = ProcessRpc.ToStartRequest(request, 60_000);
        Assert.Equal(["/bin/bash", "-l", "-c", "echo hi"], start.Argv!);
        Assert.Equal("1", start.Env!["A"]);
        Assert.Equal("/tmp", start.Cwd);
        Assert.True(start.KeepStdinOpen); // optional stdin absent: envd's default is open
        Assert.Equal(60_000, start.LifetimeMs);
        Assert.Equal("web", start.Tag);

        var closed = ProcessRpc.ToStartRequest(ConnectUnary.Parse<Rpc.StartRequest>("{\"process\":{\"cmd\":\"cat\"},\"stdin\":false}"), null);
        Assert.False(closed.KeepStdinOpen);
        Assert.Null(closed.LifetimeMs);

        var pty = Assert.Throws<ConnectException>(() => ProcessRpc.ToStartRequest(
            ConnectUnary.Parse<Rpc.StartRequest>("{\"process\":{\"cmd\":\"bash\"},\"pty\":{\"size\":{\"cols\":80,\"rows\":24}}}"), null));
        Assert.Equal(ConnectCodes.Unimplemented, pty.Code);
    }

    [Fact]
    public void EndEvents_ReadLikeGosProcessState()
    {
        var ok = ProcessRpc.ToRpc(new ProcessEvent { Kind = ProcessEventKind.Exited, Exit = new ProcessExit { ExitCode = 0 } }).End;
        Assert.Equal((0, true, "exit status 0", false), (ok.ExitCode, ok.Exited, ok.Status, ok.HasError));

        var failed = ProcessRpc.ToRpc(new ProcessEvent { Kind = ProcessEventKind.Exited, Exit = new ProcessExit { ExitCode = 3 } }).End;
        Assert.Equal((3, true, "exit status 3", "exit status 3"), (failed.ExitCode, failed.Exited, failed.Status, failed.Error));

        var killed = ProcessRpc.ToRpc(new ProcessEvent { Kind = ProcessEventKind.Exited, Exit = new ProcessExit { Signal = 9 } }).End;
        Assert.Equal((-1, false, "signal: killed"), (killed.ExitCode, killed.Exited, killed.Status));
        Assert.Equal("{ \"end\": { \"exitCode\": -1, \"status\": \"signal: killed\", \"error\": \"signal: killed\" } }",
            ConnectJson.Formatter.Format(ProcessRpc.ToRpc(new ProcessEvent { Kind = ProcessEventKind.Exited, Exit = new ProcessExit { Signal = 9 } })));
    }

    [Theory]
    [InlineData(0x1A4, false, false, "-rw-r--r--")]
    [InlineData(0x1ED, true, false, "drwxr-xr-x")]
    [InlineData(0x1FF, false, true, "Lrwxrwxrwx")]
    public void Permissions_AreGosFileModeString(int mode, bool directory, bool symlink, string expected)
    {
        var file = new SandboxFileInfo { Name = "x", Path = "/home/user/x", Mode = mode, IsDirectory = directory, IsSymlink = symlink };
        Assert.Equal(expected, EntryInfos.Permissions(file));
        var entry = EntryInfos.From(file, "user");
        Assert.Equal((uint)mode, entry.Mode);
        Assert.Equal(("user", "user"), (entry.Owner, entry.Group));
    }

    [Fact]
    public void WatchChanges_ReportRemovalsCreationsWritesAndModeChanges()
    {
        static SandboxFileInfo F(string name, long size = 1, int mode = 0x1A4, bool dir = false) =>
            new() { Name = name, Path = "/w/" + name, Size = size, Mode = mode, IsDirectory = dir, ModifiedAt = DateTimeOffset.UnixEpoch };
        var before = new Dictionary<string, SandboxFileInfo> { ["gone"] = F("gone"), ["grown"] = F("grown"), ["mode"] = F("mode"), ["same"] = F("same") };
        var after = new Dictionary<string, SandboxFileInfo> { ["grown"] = F("grown", 2), ["mode"] = F("mode", mode: 0x1ED), ["same"] = F("same"), ["new"] = F("new", dir: true) };
        var changes = WatchChanges.Between(before, after).Select(c => (c.Name, c.Type)).ToList();
        Assert.Equal([("gone", EventType.Remove), ("grown", EventType.Write), ("mode", EventType.Chmod), ("new", EventType.Create)], changes);
    }
}
