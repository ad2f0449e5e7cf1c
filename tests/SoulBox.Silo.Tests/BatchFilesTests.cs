using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace SoulBox.Silo.Tests;

/// <summary>Batches whose inputs come as files (multipart/form-data: the JSON first, then one part per file): realistic
/// judge sizes far past the JSON body limit, streamed to the node and on to each case's program; bad bodies are 400s
/// naming the field; the staged files are gone when the batch ends.</summary>
[Collection(SiloCollection.Name)]
public sealed class BatchFilesTests(SiloFixture node)
{
    private const string LengthAndHash = "import hashlib, sys\nd = sys.stdin.buffer.read()\nprint(len(d), hashlib.sha256(d).hexdigest())";

    private HttpClient A => node.TenantA;

    private static string StagingDirectory => Path.Combine(Path.GetTempPath(), "soulbox-batch-inputs", "silotest");

    /// <summary>The issue's size: 100 cases with 1 MiB of input each (100 MiB, a hundred times the JSON body limit
    /// here), expected outputs as files too; one expected output is wrong on purpose.</summary>
    [Fact]
    public async Task AHundredCasesOfOneMiB_ArriveAsFiles_AndEachGetsItsVerdict()
    {
        const int count = 100;
        var random = new Random(11);
        using var form = new MultipartFormDataContent();
        var cases = new object[count];
        var files = new List<(string Name, byte[] Content)>();
        for (var i = 0; i < count; i++)
        {
            var input = new byte[1024 * 1024];
            random.NextBytes(input);
            var expected = $"{input.Length} {Convert.ToHexStringLower(SHA256.HashData(i == 37 ? input[1..] : input))}\n";
            files.Add(($"{i}.in", input));
            files.Add(($"{i}.out", System.Text.Encoding.UTF8.GetBytes(expected)));
            cases[i] = new { stdinFile = $"{i}.in", expectedOutputFile = $"{i}.out", name = $"case {i}" };
        }

        Assert.True(files.Sum(f => f.Content.Length) > 100 * SiloFixture.MaxJsonBodyBytes);
        // 100 cases of 5 s: 500 s at worst, within the batch's 600 s (MaxBatchTimeMs).
        form.Add(JsonPart(new { language = "python", code = LengthAndHash, limits = new { runTimeoutMs = 5000 }, cases }), "request");
        foreach (var (name, content) in files)
        {
            form.Add(new ByteArrayContent(content), "file", name);
        }

        var result = await (await A.PostAsync("/v1/execute", form)).JsonAsync();

        var verdicts = result.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("verdict").GetString()).ToList();
        Assert.Equal(count, verdicts.Count);
        Assert.Equal("wrong_answer", verdicts[37]);
        Assert.All(verdicts.Where((_, i) => i != 37), v => Assert.Equal("accepted", v));
        Assert.Equal(count - 1, result.GetProperty("summary").GetProperty("accepted").GetInt32());
        Assert.Equal("case 37", result.GetProperty("cases")[37].GetProperty("name").GetString());
        AssertNothingStaged();
    }

    [Fact]
    public async Task InlineAndFileInputs_Mix_AndAFileIsUsedByManyCases()
    {
        using var form = new MultipartFormDataContent
        {
            { JsonPart(new
                {
                    language = "python",
                    code = "print(sum(int(x) for x in input().split()))",
                    cases = new object[]
                    {
                        new { stdinFile = "pair", expectedOutput = "5" },
                        new { stdin = "1 1", expectedOutputFile = "two" },
                        new { stdinFile = "pair", expectedOutputFile = "two" },
                    },
                }), "request" },
            { new StringContent("2 3\n"), "pair" },
            { new StringContent("2\n"), "file", "two" },
        };

        var result = await (await A.PostAsync("/v1/execute", form)).JsonAsync();

        Assert.Equal(["accepted", "accepted", "wrong_answer"], result.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("verdict").GetString()));
        AssertNothingStaged();
    }

    [Fact]
    public async Task BadFileBatches_Are400Or413NamingTheField()
    {
        async Task<string?> FieldOf(HttpContent body, HttpStatusCode status = HttpStatusCode.BadRequest, string code = "validation") =>
            (await (await A.PostAsync("/v1/execute", body)).ProblemAsync(status, code)).GetProperty("field").GetString();

        // A file name no part has.
        Assert.Equal("cases[1].stdinFile", await FieldOf(Form(new object[] { new { stdinFile = "a" }, new { stdinFile = "b" } }, ("a", "1"))));
        // Both the inline and the file form.
        Assert.Equal("cases[0].expectedOutputFile", await FieldOf(Form(new object[] { new { expectedOutput = "1", expectedOutputFile = "a" } }, ("a", "1"))));
        // A file named in a plain JSON body, which carries no files.
        Assert.Equal("cases[0].stdinFile", await FieldOf(JsonContent.Create(new { language = "python", code = "print(1)", cases = new object[] { new { stdinFile = "a" } } })));
        // The JSON is not the first part.
        using (var late = new MultipartFormDataContent { { new StringContent("1"), "a" }, { JsonPart(new { language = "python", code = "print(1)", cases = new object[] { new { } } }), "request" } })
        {
            Assert.Equal("request", await FieldOf(late));
        }

        // A batch refused whatever its files is refused when the node is asked to take them, before any is sent.
        var open = node.Get<IGrainFactory>().GetGrain<SoulBox.Grains.INodeGrain>("silotest").OpenBatchInputsAsync(new ExecuteBatchRequest
        {
            Language = "python",
            Code = "print(1)",
            Cases = [.. Enumerable.Range(0, 30).Select(_ => new TestCase { StdinFile = "a" })],
        }, "tenant-a");
        Assert.Equal("cases", (await Assert.ThrowsAsync<SandboxValidationException>(() => open)).Field);

        // One name twice.
        Assert.Equal("files", await FieldOf(Form(new object[] { new { stdinFile = "a" } }, ("a", "1"), ("a", "2"))));
        // A file past SoulBox:BatchInputs:MaxFileBytes.
        Assert.Equal("files", await FieldOf(Form(new object[] { new { stdinFile = "big" } }, ("big", new string('x', SiloFixture.MaxBatchInputFileBytes + 1))),
            HttpStatusCode.RequestEntityTooLarge, "too_large"));
        AssertNothingStaged();
    }

    private static MultipartFormDataContent Form(object[] cases, params (string Name, string Content)[] files)
    {
        var form = new MultipartFormDataContent { { JsonPart(new { language = "python", code = "print(input())", cases }), "request" } };
        foreach (var (name, content) in files)
        {
            form.Add(new StringContent(content), "file", name);
        }

        return form;
    }

    private static StringContent JsonPart(object value) =>
        new(JsonSerializer.Serialize(value, new JsonSerializerOptions(JsonSerializerDefaults.Web)), new MediaTypeHeaderValue("application/json"));

    /// <summary>Every set is removed when its batch ends, refused or not (other tests' batches may stage at the same
    /// time, so only sets older than this test's own are a leak: none is allowed to stay past a few seconds).</summary>
    private static void AssertNothingStaged()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Directory.Exists(StagingDirectory) && Directory.EnumerateDirectories(StagingDirectory).Any())
        {
            Assert.True(DateTime.UtcNow < deadline, $"input sets left in {StagingDirectory}: {string.Join(", ", Directory.EnumerateDirectories(StagingDirectory))}");
            Thread.Sleep(100);
        }
    }
}
