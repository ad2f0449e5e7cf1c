namespace SoulBox.Silo.Tests;

/// <summary>Piston's own request examples (docs/api-v2.md and its README) against /api/v2.</summary>
[Collection(SiloCollection.Name)]
public sealed class PistonTests(SiloFixture node)
{
    private Task<HttpResponseMessage> ExecuteAsync(object body) => node.TenantA.PostJsonAsync("/api/v2/execute", body);

    [Fact]
    public async Task Runtimes_ListLanguagesVersionsAndPistonAliases()
    {
        var runtimes = await (await node.TenantA.GetAsync("/api/v2/runtimes")).JsonAsync();
        var js = runtimes.EnumerateArray().Single(r => r.GetProperty("language").GetString() == "javascript");
        Assert.Contains("js", js.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("node", js.GetProperty("runtime").GetString());
        var python = runtimes.EnumerateArray().Single(r => r.GetProperty("language").GetString() == "python");
        Assert.Contains("py", python.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task Execute_PistonsDocumentedExample()
    {
        var result = await (await ExecuteAsync(new
        {
            language = "js",
            version = "*", // The example names 15.10.0, which Piston had installed; a version is matched now.
            files = new[] { new { name = "my_cool_code.js", content = "console.log(process.argv.slice(2))" } },
            stdin = "",
            args = new[] { "1", "2", "3" },
            compile_timeout = 10000,
            run_timeout = 3000,
            compile_memory_limit = -1,
            run_memory_limit = -1,
        })).JsonAsync();
        Assert.Equal("javascript", result.GetProperty("language").GetString());
        var run = result.GetProperty("run");
        Assert.Equal("[ '1', '2', '3' ]\n", run.GetProperty("stdout").GetString());
        Assert.Equal(run.GetProperty("stdout").GetString(), run.GetProperty("output").GetString());
        Assert.Equal(0, run.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("signal").ValueKind);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData(null)]
    public async Task Execute_ReadsJsonWhateverTheContentTypeSays(string? contentType)
    {
        // What piston-client (npm) sends: a JSON body labelled text/plain by fetch, or not labelled at all.
        using var content = new ByteArrayContent("""{"language":"python","version":"*","files":[{"content":"print(6*7)"}]}"""u8.ToArray());
        if (contentType is not null)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        var result = await (await node.TenantA.PostAsync("/api/v2/execute", content)).JsonAsync();
        Assert.Equal("42\n", result.GetProperty("run").GetProperty("stdout").GetString());

        using var broken = new StringContent("{not json", System.Text.Encoding.UTF8, "text/plain");
        Assert.Equal(HttpStatusCode.BadRequest, (await node.TenantA.PostAsync("/api/v2/execute", broken)).StatusCode);
    }

    [Fact]
    public async Task Execute_MultipleFilesWithStdin()
    {
        var result = await (await ExecuteAsync(new
        {
            language = "python",
            version = "3.x",
            files = new[]
            {
                new { name = "main.py", content = "import helper\nprint(helper.shout(input()))" },
                new { name = "helper.py", content = "def shout(s):\n    return s.upper() + '!'" },
            },
            stdin = "hello",
        })).JsonAsync();
        Assert.Equal("HELLO!\n", result.GetProperty("run").GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Execute_JavaCompileErrorIsReportedInTheCompileStage()
    {
        var result = await (await ExecuteAsync(new
        {
            language = "java",
            version = "*",
            files = new[] { new { name = "Main.java", content = "public class Main { public static void main(String[] a) { int x = \"s\"; } }" } },
        })).JsonAsync();
        var stage = result.TryGetProperty("compile", out var compile) ? compile : result.GetProperty("run");
        Assert.NotEqual(0, stage.GetProperty("code").GetInt32());
        Assert.Contains("incompatible types", stage.GetProperty("stderr").GetString() + stage.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Execute_GoCompileErrorHasACompileStage()
    {
        var result = await (await ExecuteAsync(new
        {
            language = "golang",
            version = "*",
            files = new[] { new { name = "main.go", content = "package main\nfunc main() { undefinedThing() }" } },
        })).JsonAsync();
        var compile = result.GetProperty("compile");
        Assert.NotEqual(0, compile.GetProperty("code").GetInt32());
        Assert.Contains("undefined", compile.GetProperty("stderr").GetString() + compile.GetProperty("output").GetString());
        Assert.Equal(compile.GetProperty("stderr").GetString(), result.GetProperty("run").GetProperty("stderr").GetString());
    }

    [Fact]
    public async Task Execute_TimeoutIsKilledWithStatusTO()
    {
        var result = await (await ExecuteAsync(new
        {
            language = "py",
            version = "*",
            files = new[] { new { content = "while True: pass" } },
            run_timeout = 1000,
        })).JsonAsync();
        var run = result.GetProperty("run");
        Assert.Equal("TO", run.GetProperty("status").GetString());
        Assert.Equal("SIGKILL", run.GetProperty("signal").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("code").ValueKind);
    }

    [Fact]
    public async Task Execute_AVersionNoRuntimeSatisfiesIsPistons400_NotASilentRunOnAnother()
    {
        var error = await (await ExecuteAsync(new { language = "python", version = "9.9", files = new[] { new { content = "print(1)" } } })).JsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal("python-9.9 runtime is unknown", error.GetProperty("message").GetString());
        var garbled = await (await ExecuteAsync(new { language = "py", version = "latest", files = new[] { new { content = "print(1)" } } })).JsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal("py-latest runtime is unknown", garbled.GetProperty("message").GetString());

        // The installed version's own major (and a range around it) still runs, and the answer names what ran.
        var runtimes = await (await node.TenantA.GetAsync("/api/v2/runtimes")).JsonAsync();
        var installed = runtimes.EnumerateArray().Single(r => r.GetProperty("language").GetString() == "python").GetProperty("version").GetString()!;
        foreach (var version in new[] { installed, installed.Split('.')[0], $">={installed.Split('.')[0]}", $"^{installed}" })
        {
            var ran = await (await ExecuteAsync(new { language = "python", version, files = new[] { new { content = "print(6*7)" } } })).JsonAsync();
            Assert.Equal("42\n", ran.GetProperty("run").GetProperty("stdout").GetString());
            Assert.Equal(installed, ran.GetProperty("version").GetString());
        }
    }

    [Fact]
    public async Task Execute_UnknownLanguageAnswersPistonsMessage()
    {
        var error = await (await ExecuteAsync(new { language = "cobol", version = "*", files = new[] { new { content = "x" } } })).JsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal("cobol-* runtime is unknown", error.GetProperty("message").GetString());
        var missing = await (await ExecuteAsync(new { language = "python", files = new[] { new { content = "x" } } })).JsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal("version is required as a string", missing.GetProperty("message").GetString());
    }

    /// <summary>Each language of the language images: listed with Piston's name, its aliases and the version read from
    /// its toolchain at setup; a hello world through one of its aliases at exactly that version.</summary>
    [Theory]
    [InlineData("c", "gcc", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }")]
    [InlineData("c++", "cpp", "#include <iostream>\nint main() { std::cout << \"hi\\n\"; }")]
    [InlineData("fortran", "f90", "program main\n  print '(A)', 'hi'\nend program main\n")]
    [InlineData("rust", "rs", "fn main() { println!(\"hi\"); }")]
    [InlineData("typescript", "ts", "const s: string = \"hi\";\nconsole.log(s);\n")]
    [InlineData("ruby", "rb", "puts 'hi'")]
    [InlineData("php", "php", "<?php echo \"hi\\n\";")]
    [InlineData("lua", "lua", "print('hi')")]
    [InlineData("perl", "pl", "print \"hi\\n\";")]
    [InlineData("scheme", "guile", "(display \"hi\")\n(newline)\n")]
    [InlineData("pascal", "fpc", "program main;\nbegin\n  WriteLn('hi');\nend.\n")]
    [InlineData("ocaml", "ml", "let () = print_endline \"hi\"\n")]
    [InlineData("r", "rscript", "cat(\"hi\\n\")\n")]
    [InlineData("haskell", "hs", "main :: IO ()\nmain = putStrLn \"hi\"\n")]
    public async Task NewLanguages_AreListedWithAliasesAndVersion_AndRunThroughAnAlias(string language, string alias, string hello)
    {
        var runtimes = await (await node.TenantA.GetAsync("/api/v2/runtimes")).JsonAsync();
        var runtime = runtimes.EnumerateArray().Single(r => r.GetProperty("language").GetString() == language);
        Assert.Contains(alias, runtime.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        var version = runtime.GetProperty("version").GetString()!;
        Assert.Matches(@"^[0-9]+(\.[0-9]+)+$", version);

        var result = await (await ExecuteAsync(new { language = alias, version, files = new[] { new { content = hello } } })).JsonAsync();
        Assert.Equal(language, result.GetProperty("language").GetString());
        Assert.Equal(version, result.GetProperty("version").GetString());
        Assert.Equal("hi\n", result.GetProperty("run").GetProperty("stdout").GetString());
        Assert.Equal(0, result.GetProperty("run").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Execute_CCompileErrorIsReportedInTheCompileStage_AndAVersionGccDoesNotHaveIsUnknown()
    {
        var result = await (await ExecuteAsync(new { language = "c", version = "*", files = new[] { new { name = "prog.c", content = "int main(void) { return nope; }" } } })).JsonAsync();
        var compile = result.GetProperty("compile");
        Assert.Equal(1, compile.GetProperty("code").GetInt32());
        Assert.Contains("nope", compile.GetProperty("stderr").GetString());

        var error = await (await ExecuteAsync(new { language = "gcc", version = "1.0", files = new[] { new { content = "int main(void) { return 0; }" } } })).JsonAsync(HttpStatusCode.BadRequest);
        Assert.Equal("gcc-1.0 runtime is unknown", error.GetProperty("message").GetString());
    }
}
