namespace SoulBox.Client.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ExecuteBatchTests(SoulBoxClusterFixture fixture)
{
    private ISoulBoxClient SoulBox => fixture.SoulBox;

    [Theory]
    [InlineData("python", "print(int(input()) + 1)")]
    [InlineData("java", "import java.util.*;\npublic class Inc { public static void main(String[] a) { System.out.println(new Scanner(System.in).nextInt() + 1); } }")]
    public async Task ExecuteBatch_JudgesEveryCase(string language, string code)
    {
        var result = await SoulBox.ExecuteBatchAsync(new ExecuteBatchRequest
        {
            Language = language,
            Code = code,
            Limits = new ExecutionLimits { RunTimeoutMs = 10_000 },
            Cases =
            [
                new TestCase { Stdin = "1", ExpectedOutput = "2" },
                new TestCase { Stdin = "41", ExpectedOutput = "41", Name = "off by one" },
                new TestCase { Stdin = "x", ExpectedOutput = "1" },
            ],
        });

        Assert.Equal([CaseVerdict.Accepted, CaseVerdict.WrongAnswer, CaseVerdict.RuntimeError], result.Cases.Select(c => c.Verdict));
        Assert.Equal("off by one", result.Cases[1].Name);
        Assert.Equal("42\n", result.Cases[1].Stdout);
        Assert.Equal((3, 1, 1, 1), (result.Summary.Total, result.Summary.Accepted, result.Summary.WrongAnswer, result.Summary.RuntimeError));
        Assert.Equal(1, result.Summary.FirstFailedIndex);
        Assert.False(result.Summary.AllAccepted);
        Assert.Equal(language == "java", result.Compile is not null);
        Assert.NotEmpty(result.Version);
    }

    [Fact]
    public async Task ExecuteBatch_BadCaseIsAValidationErrorNamingTheCase()
    {
        var error = await Assert.ThrowsAsync<SandboxValidationException>(() => SoulBox.ExecuteBatchAsync(new ExecuteBatchRequest
        {
            Language = "python",
            Code = "print(1)",
            Cases = [new TestCase(), new TestCase { Limits = new ExecutionLimits { MemoryMb = 1 } }],
        }));

        Assert.Equal("cases[1].limits.memoryMb", error.Field);
    }

    [Fact]
    public async Task ExecuteBatch_StreamsACaseStdinLargerThanTheAgentsFrame()
    {
        // 10 MiB: past the agent's 8 MiB frame and a single run's 4 MiB stdin; it goes to the agent in 1 MiB chunks.
        var stdin = new string('7', 10 * 1024 * 1024 - 1) + "\n";
        var expected = $"{stdin.Length} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(stdin)))}";

        var result = await SoulBox.ExecuteBatchAsync(new ExecuteBatchRequest
        {
            Language = "python",
            Code = "import hashlib, sys\ndata = sys.stdin.buffer.read()\nprint(len(data), hashlib.sha256(data).hexdigest())",
            Limits = new ExecutionLimits { RunTimeoutMs = 20_000 },
            Cases = [new TestCase { Stdin = stdin, ExpectedOutput = expected }, new TestCase { Stdin = "x", ExpectedOutput = $"1 {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("x"u8))}" }],
        });

        Assert.All(result.Cases, c => Assert.Equal(CaseVerdict.Accepted, c.Verdict));
    }

    /// <summary>Inputs as streams: three cases of 12 MiB each (36 MiB: more than one message carries, and more than a
    /// case's inline stdin may be), one read by two cases, expected outputs as files too.</summary>
    [Fact]
    public async Task ExecuteBatch_WithInputFiles_StreamsThemToTheNodeAndTheCases()
    {
        byte[] Input(byte fill) => Enumerable.Repeat(fill, 12 * 1024 * 1024).ToArray();
        string Expected(byte[] input) => $"{input.Length} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input))}\n";
        var (a, b) = (Input((byte)'a'), Input((byte)'b'));
        using var aStream = new MemoryStream(a);
        using var bStream = new MemoryStream(b);
        using var aOut = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Expected(a)));

        var result = await SoulBox.ExecuteBatchAsync(new ExecuteBatchRequest
        {
            Language = "python",
            Code = "import hashlib, sys\ndata = sys.stdin.buffer.read()\nprint(len(data), hashlib.sha256(data).hexdigest())",
            Limits = new ExecutionLimits { RunTimeoutMs = 20_000 },
            Cases =
            [
                new TestCase { StdinFile = "a.in", ExpectedOutputFile = "a.out" },
                new TestCase { StdinFile = "b.in", ExpectedOutput = Expected(b) },
                new TestCase { StdinFile = "a.in", ExpectedOutput = Expected(b) },
            ],
        }, new Dictionary<string, Stream> { ["a.in"] = aStream, ["b.in"] = bStream, ["a.out"] = aOut });

        Assert.Equal([CaseVerdict.Accepted, CaseVerdict.Accepted, CaseVerdict.WrongAnswer], result.Cases.Select(c => c.Verdict));
    }

    [Fact]
    public async Task ExecuteBatch_NamingAFileNotSent_IsAValidationErrorNamingTheCase()
    {
        using var sent = new MemoryStream("1\n"u8.ToArray());
        var error = await Assert.ThrowsAsync<SandboxValidationException>(() => SoulBox.ExecuteBatchAsync(new ExecuteBatchRequest
        {
            Language = "python",
            Code = "print(input())",
            Cases = [new TestCase { StdinFile = "sent" }, new TestCase { StdinFile = "missing" }],
        }, new Dictionary<string, Stream> { ["sent"] = sent }));

        Assert.Equal("cases[1].stdinFile", error.Field);
        Assert.Contains("'missing'", error.Message, StringComparison.Ordinal);
    }
}
