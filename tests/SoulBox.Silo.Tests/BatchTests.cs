namespace SoulBox.Silo.Tests;

/// <summary>Batches end to end (real Docker, real executors, the HTTP API): one program against many test cases,
/// each judged; a compile error short-circuits every case; cases see nothing of each other; the batch's compile is
/// the compile cache's; bad input is a 400 naming the case and the field.</summary>
[Collection(SiloCollection.Name)]
public sealed class BatchTests(SiloFixture node)
{
    private HttpClient A => node.TenantA;

    // Reads one command from stdin: a number (prints twice it), or a way to fail.
    private const string PythonJudge = """
        import os, sys
        cmd = sys.stdin.readline().strip()
        if cmd == 'loop':
            while True: pass
        elif cmd == 'mem':
            blocks = []
            while True: blocks.append(bytearray(16 * 1024 * 1024))
        elif cmd == 'crash':
            sys.exit(3)
        elif cmd == 'kill':
            os.kill(os.getpid(), 9)
        elif cmd == 'flood':
            while True: print('x' * 1000)
        else:
            print(int(cmd) * 2)
        """;

    private const string GoJudge = """
        package main

        import (
            "bufio"
            "fmt"
            "os"
            "strconv"
            "strings"
            "syscall"
        )

        func main() {
            line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
            switch cmd := strings.TrimSpace(line); cmd {
            case "loop":
                for {
                }
            case "mem":
                var blocks [][]byte
                for {
                    b := make([]byte, 16<<20)
                    for i := range b {
                        b[i] = 1
                    }
                    blocks = append(blocks, b)
                }
            case "crash":
                os.Exit(3)
            case "kill":
                syscall.Kill(os.Getpid(), syscall.SIGKILL)
            case "flood":
                for {
                    fmt.Println(strings.Repeat("x", 1000))
                }
            default:
                n, _ := strconv.Atoi(cmd)
                fmt.Println(n * 2)
            }
        }
        """;

    [Theory]
    [InlineData("python", PythonJudge)]
    [InlineData("go", GoJudge)]
    public async Task ABatch_GivesEachCaseItsVerdict(string language, string code)
    {
        var result = await BatchAsync(new
        {
            language,
            code = code.Replace("NONCE", Guid.NewGuid().ToString("N"), StringComparison.Ordinal),
            limits = new { runTimeoutMs = 5000, memoryMb = 256 },
            cases = new object[]
            {
                new { stdin = "1\n", expectedOutput = "2\n" },
                new { stdin = "2\n", expectedOutput = "5\n", name = "wrong" },
                new { stdin = "loop\n", expectedOutput = "0", limits = new { runTimeoutMs = 1000 } },
                new { stdin = "mem\n", expectedOutput = "0", limits = new { memoryMb = 128 } },
                new { stdin = "3\n", expectedOutput = "6" },
                new { stdin = "crash\n", expectedOutput = "0" },
                new { stdin = "kill\n", expectedOutput = "0" },
                new { stdin = "flood\n", expectedOutput = "0", limits = new { maxOutputBytes = 10_000 } },
                new { stdin = "21\n" },
            },
        });

        var cases = Cases(result);
        Assert.Equal(["accepted", "wrong_answer", "time_limit", "memory_limit", "accepted", "runtime_error", "runtime_error", "output_limit", "accepted"],
            cases.Select(c => c.GetProperty("verdict").GetString()));
        Assert.Equal(Enumerable.Range(0, 9), cases.Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal("wrong", cases[1].GetProperty("name").GetString());
        Assert.Equal("line 1: expected '5', got '4'", cases[1].GetProperty("difference").GetString());
        Assert.Equal("4\n", cases[1].GetProperty("stdout").GetString());
        Assert.Equal(3, cases[5].GetProperty("exitCode").GetInt32());
        Assert.Equal(9, cases[6].GetProperty("signal").GetInt32());
        Assert.Equal("42\n", cases[8].GetProperty("stdout").GetString());
        Assert.All(cases.Where(c => c.GetProperty("verdict").GetString() == "accepted"), c =>
        {
            Assert.True(c.GetProperty("wallTimeMs").GetDouble() > 0);
            Assert.True(c.GetProperty("peakMemoryBytes").GetInt64() > 0);
        });

        var summary = result.GetProperty("summary");
        Assert.Equal(9, summary.GetProperty("total").GetInt32());
        Assert.Equal(3, summary.GetProperty("accepted").GetInt32());
        Assert.Equal(1, summary.GetProperty("wrongAnswer").GetInt32());
        Assert.Equal(1, summary.GetProperty("timeLimit").GetInt32());
        Assert.Equal(1, summary.GetProperty("memoryLimit").GetInt32());
        Assert.Equal(1, summary.GetProperty("outputLimit").GetInt32());
        Assert.Equal(2, summary.GetProperty("runtimeError").GetInt32());
        Assert.Equal(1, summary.GetProperty("firstFailedIndex").GetInt32());
        Assert.Equal("wrong_answer", summary.GetProperty("firstFailedVerdict").GetString());
        Assert.True(summary.GetProperty("parallelism").GetInt32() > 1, "nine cases on an otherwise idle node run on more than one slot");
        Assert.Equal(language == "go", result.TryGetProperty("compile", out var compile));
        if (language == "go")
        {
            Assert.Equal("ok", compile.GetProperty("status").GetString());
        }
    }

    [Theory]
    [InlineData("go", "package main\nfunc main() { undefined() }")]
    [InlineData("java", "public class Main { public static void main(String[] a) { int x = \"s\"; } }")]
    public async Task ACompileError_ShortCircuitsEveryCase(string language, string code)
    {
        var result = await BatchAsync(new
        {
            language,
            code,
            cases = new object[] { new { stdin = "1", expectedOutput = "1" }, new { stdin = "2", expectedOutput = "2" }, new { stdin = "3" } },
        });

        var compile = result.GetProperty("compile");
        Assert.Equal("compile_error", compile.GetProperty("status").GetString());
        Assert.NotEmpty(compile.GetProperty("stderr").GetString()!);
        Assert.All(Cases(result), c =>
        {
            Assert.Equal("compile_error", c.GetProperty("verdict").GetString());
            Assert.Equal("compile_error", c.GetProperty("status").GetString());
            Assert.Equal(0, c.GetProperty("wallTimeMs").GetDouble());
        });
        Assert.Equal(3, result.GetProperty("summary").GetProperty("compileError").GetInt32());
        Assert.Equal(0, result.GetProperty("summary").GetProperty("firstFailedIndex").GetInt32());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task ACase_SeesNothingAnEarlierCaseLeft(int maxParallelism)
    {
        // Each case reports what it finds, then leaves files in every writable place and a process behind.
        const string code = """
            import os, subprocess, time
            def sleepers():
                return len([p for p in os.listdir('/proc') if p.isdigit() and open(f'/proc/{p}/cmdline').read().startswith('sleep')])
            places = ['/home/sandbox/left', '/tmp/left', '/dev/shm/left']
            found = [p for p in places if os.path.exists(p)]
            before = sleepers()
            for p in places:
                open(p, 'w').write('x')
            sleeper = subprocess.Popen(['sleep', '600'], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while not open(f'/proc/{sleeper.pid}/cmdline').read().startswith('sleep'):
                time.sleep(0.01)
            print('found', found, 'sleepers', before)
            """;

        var result = await BatchAsync(new
        {
            language = "python",
            code,
            maxParallelism,
            cases = Enumerable.Range(0, 4).Select(_ => new { expectedOutput = "found [] sleepers 0" }).ToArray(),
        });

        Assert.All(Cases(result), c => Assert.Equal("accepted", c.GetProperty("verdict").GetString()));
        if (maxParallelism == 1)
        {
            // One executor, reset between the cases.
            Assert.Equal(1, result.GetProperty("summary").GetProperty("parallelism").GetInt32());
        }
    }

    [Fact]
    public async Task ACaseThatReplacesItsCompiledProgram_LeavesTheNextCaseTheOriginal()
    {
        // The binary is the case's own copy of the batch's build: replacing it changes nothing for the next case.
        var expected = $"original {Guid.NewGuid():N}";
        var code = $$"""
            package main

            import (
                "fmt"
                "os"
            )

            func main() {
                if len(os.Args) > 1 {
                    os.Remove(os.Args[0])
                    os.WriteFile(os.Args[0], []byte("#!/bin/sh\necho tampered\n"), 0o755)
                }
                fmt.Println("{{expected}}")
            }
            """;

        var result = await BatchAsync(new
        {
            language = "go",
            code,
            maxParallelism = 1,
            cases = new object[] { new { args = new[] { "tamper" }, expectedOutput = expected }, new { expectedOutput = expected }, new { expectedOutput = expected } },
        });

        Assert.All(Cases(result), c => Assert.Equal("accepted", c.GetProperty("verdict").GetString()));
    }

    [Fact]
    public async Task TheBatchCompile_IsTheCompileCaches_BothWays()
    {
        var nonce = Guid.NewGuid().ToString("N");
        var code = $"package main\nimport \"fmt\"\nfunc main() {{ fmt.Println(\"{nonce}\") }}";
        object Batch() => new { language = "go", code, cases = new object[] { new { expectedOutput = nonce }, new { expectedOutput = nonce } } };

        var first = await BatchAsync(Batch());
        var second = await BatchAsync(Batch());
        var oneShot = await (await A.PostJsonAsync("/v1/execute", new { language = "go", code })).JsonAsync();

        Assert.False(first.GetProperty("compile").GetProperty("cached").GetBoolean());
        Assert.True(second.GetProperty("compile").GetProperty("cached").GetBoolean());
        Assert.True(oneShot.GetProperty("compile").GetProperty("cached").GetBoolean());
        Assert.All(Cases(second), c => Assert.Equal("accepted", c.GetProperty("verdict").GetString()));

        // And the other way: a one-shot run's compile serves a later batch.
        var code2 = code.Replace(nonce, nonce + "b", StringComparison.Ordinal);
        await (await A.PostJsonAsync("/v1/execute", new { language = "go", code = code2 })).JsonAsync();
        var third = await BatchAsync(new { language = "go", code = code2, cases = new object[] { new { expectedOutput = nonce + "b" } } });
        Assert.True(third.GetProperty("compile").GetProperty("cached").GetBoolean());
        Assert.Equal("accepted", Cases(third)[0].GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task ComparisonModes_ApplyToEveryCase()
    {
        const string code = "import sys\nprint(' '.join(str(1 / int(x)) for x in sys.stdin.read().split()))";
        var cases = new object[] { new { stdin = "3 7", expectedOutput = "0.333333 0.142857" }, new { stdin = "2", expectedOutput = "0.5\n\n" } };

        var tokens = await BatchAsync(new { language = "python", code, cases, comparison = new { mode = "tokens", floatTolerance = 1e-5 } });
        var trailing = await BatchAsync(new { language = "python", code, cases });
        var exact = await BatchAsync(new { language = "python", code, cases, comparison = new { mode = "exact" } });

        Assert.Equal(["accepted", "accepted"], Cases(tokens).Select(c => c.GetProperty("verdict").GetString()));
        Assert.Equal(["wrong_answer", "accepted"], Cases(trailing).Select(c => c.GetProperty("verdict").GetString()));
        Assert.Equal(["wrong_answer", "wrong_answer"], Cases(exact).Select(c => c.GetProperty("verdict").GetString()));
    }

    [Fact]
    public async Task BadBatches_Are400NamingTheField()
    {
        async Task<string?> FieldOf(object body) =>
            (await (await A.PostJsonAsync("/v1/execute", body)).ProblemAsync(HttpStatusCode.BadRequest, "validation")).GetProperty("field").GetString();

        Assert.Equal("cases", await FieldOf(new { language = "python", code = "print(1)", cases = Array.Empty<object>() }));
        Assert.Equal("cases[1].limits.runTimeoutMs", await FieldOf(new { language = "python", code = "print(1)", cases = new object[] { new { }, new { limits = new { runTimeoutMs = -1 } } } }));
        Assert.Equal("cases[0].limits.compileTimeoutMs", await FieldOf(new { language = "go", code = "package main", cases = new object[] { new { limits = new { compileTimeoutMs = 5 } } } }));
        Assert.Equal("stdin", await FieldOf(new { language = "python", code = "print(1)", stdin = "x", cases = new object[] { new { } } }));
        Assert.Equal("comparison.floatTolerance", await FieldOf(new { language = "python", code = "print(1)", cases = new object[] { new { } }, comparison = new { mode = "exact", floatTolerance = 0.1 } }));
        Assert.Equal("$.comparison.mode", await FieldOf(new { language = "python", code = "print(1)", cases = new object[] { new { } }, comparison = new { mode = "fuzzy" } }));
        Assert.Equal("cases", await FieldOf(new { language = "python", code = "print(1)", cases = Enumerable.Range(0, 30).Select(_ => new { }).ToArray() }));
        Assert.Equal("language", await FieldOf(new { language = "cobol", code = "x", cases = new object[] { new { } } }));
    }

    [Fact]
    public async Task ABatchItsCallerGivesUpOn_GivesBackEverySlotAndStopsItsCases()
    {
        var load = node.Get<IGrainFactory>().GetGrain<SoulBox.Grains.INodeGrain>("silotest");
        using var caller = new CancellationTokenSource();
        var batch = A.PostAsJsonAsync("/v1/execute", new
        {
            language = "python",
            code = "while True: pass",
            limits = new { runTimeoutMs = 60_000 },
            cases = Enumerable.Range(0, 4).Select(_ => new { expectedOutput = "never" }).ToArray(),
        }, caller.Token);

        await WaitForAsync(async () => (await load.GetLoadAsync())!.RunningExecutions >= 2, "the batch's cases to run on two slots or more");
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch);

        // Well before the cases' 60 s: the cancellation reached the node, the cases were stopped and the slots freed.
        await WaitForAsync(async () => (await load.GetLoadAsync())!.RunningExecutions == 0, "the cancelled batch to give back its slots");
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after 30 s waiting for {what}.");
            await Task.Delay(100);
        }
    }

    private async Task<JsonElement> BatchAsync(object body) => await (await A.PostJsonAsync("/v1/execute", body)).JsonAsync();

    private static JsonElement[] Cases(JsonElement result) => [.. result.GetProperty("cases").EnumerateArray()];
}
