using System.Text;
using System.Text.Json;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

public sealed class CodeTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    private static RunCodeRequest Run(string code, string contextId, int timeoutMs = 10_000) =>
        new(code, "python", contextId, null, timeoutMs);

    [Fact]
    public async Task Python_KeepsVariablesImportsAndFunctionsBetweenRuns()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        Assert.Equal("python", context.Language);
        await client.RequestAsync(Run("import math\nx = 41\ndef twice(v):\n    return 2 * v", context.ContextId));
        var result = (await client.RequestAsync(Run("twice(math.floor(x + 0.5))", context.ContextId))).Terminal<CodeResultEvent>();
        Assert.Null(result.Error);
        Assert.Equal("82", result.Value);
    }

    [Fact]
    public async Task Python_ReturnsTheReprOfTheLastExpression_AndNullAfterAStatement()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(new RunCodeRequest("print('hi')\n'a' + 'b'", "python", null, null, 10_000));
        Assert.Equal("hi\n", events.Stdout());
        Assert.Equal("'ab'", events.Terminal<CodeResultEvent>().Value);
        var statement = (await client.RequestAsync(new RunCodeRequest("y = 1", "python", null, null, 10_000))).Terminal<CodeResultEvent>();
        Assert.Null(statement.Value);
        Assert.Null(statement.Error);
        var none = (await client.RequestAsync(new RunCodeRequest("None", "python", null, null, 10_000))).Terminal<CodeResultEvent>();
        Assert.Null(none.Value);
    }

    [Fact]
    public async Task Python_ReturnsExceptionsWithTraceback_AndTheKernelSurvives()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        await client.RequestAsync(Run("kept = 'still here'", context.ContextId));
        var error = (await client.RequestAsync(Run("def f():\n    return 1 / 0\nf()", context.ContextId))).Terminal<CodeResultEvent>().Error;
        Assert.NotNull(error);
        Assert.Equal("ZeroDivisionError", error.Name);
        Assert.Equal("division by zero", error.Value);
        Assert.Contains("line 2, in f", error.Traceback);
        Assert.Contains("return 1 / 0", error.Traceback);

        var syntax = (await client.RequestAsync(Run("def broken(:", context.ContextId))).Terminal<CodeResultEvent>().Error;
        Assert.Equal("SyntaxError", syntax?.Name);
        var exit = (await client.RequestAsync(Run("raise SystemExit(3)", context.ContextId))).Terminal<CodeResultEvent>().Error;
        Assert.Equal("SystemExit", exit?.Name);

        Assert.Equal("'still here'", (await client.RequestAsync(Run("kept", context.ContextId))).Terminal<CodeResultEvent>().Value);
    }

    [Fact]
    public async Task Python_WritingStraightToFd1OrFromSubprocesses_DoesNotBreakTheKernel()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        var events = await client.RequestAsync(Run(
            "import os, subprocess, sys\nos.write(1, b'raw\\n')\nos.write(2, b'err\\n')\nsubprocess.run(['echo', 'child'])\ninput_ok = sys.stdin.read() == ''\n7",
            context.ContextId));
        Assert.Equal("raw\nchild\n", events.Stdout());
        Assert.Equal("err\n", events.Stderr());
        Assert.Equal("7", events.Terminal<CodeResultEvent>().Value);
        Assert.Equal("True", (await client.RequestAsync(Run("input_ok", context.ContextId))).Terminal<CodeResultEvent>().Value);
    }

    [Fact]
    public async Task Python_PrintInALoop_StreamsChunksBeforeTheRunEnds()
    {
        await using var client = await agent.ConnectAsync();
        var events = await client.RequestAsync(new RunCodeRequest(
            "import time\nfor i in range(3):\n    print(i)\n    time.sleep(0.2)", "python", null, null, 10_000));
        var outputs = events.Where(e => e.Event is OutputEvent).ToList();
        Assert.Equal("0\n1\n2\n", events.Stdout());
        Assert.True(events[^1].At - outputs[0].At > TimeSpan.FromMilliseconds(300));
        Assert.True(outputs[^1].At - outputs[0].At > TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Python_EnvOfARun_IsVisibleDuringThatRunOnly()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        var with = await client.RequestAsync(new RunCodeRequest("import os\nos.environ.get('GREETING')", "python", context.ContextId,
            new Dictionary<string, string> { ["GREETING"] = "hej" }, 10_000));
        Assert.Equal("'hej'", with.Terminal<CodeResultEvent>().Value);
        var after = await client.RequestAsync(Run("os.environ.get('GREETING')", context.ContextId));
        Assert.Null(after.Terminal<CodeResultEvent>().Value);
    }

    [Fact]
    public async Task Python_Timeout_RestartsTheKernel_AndItsStateIsLost()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        await client.RequestAsync(Run("lost = 1", context.ContextId));
        var timedOut = (await client.RequestAsync(Run("import time\nprint('before')\ntime.sleep(100)", context.ContextId, timeoutMs: 500))).Terminal<CodeResultEvent>();
        Assert.True(timedOut.TimedOut);
        Assert.Equal("TimeoutError", timedOut.Error?.Name);
        Assert.Contains("state is lost", timedOut.Error?.Value);

        var next = (await client.RequestAsync(Run("'lost' in globals()", context.ContextId))).Terminal<CodeResultEvent>();
        Assert.Null(next.Error);
        Assert.Equal("False", next.Value);
    }

    [Fact]
    public async Task JavaScript_KeepsStateReturnsInspectedValuesAndErrors()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("javascript", null));
        RunCodeRequest Js(string code) => new(code, "javascript", context.ContextId, null, 10_000);

        var first = await client.RequestAsync(Js("var counter = 40; function inc(v) { return v + 1 } console.log('hi'); inc(counter)"));
        Assert.Equal("hi\n", first.Stdout());
        Assert.Equal("41", first.Terminal<CodeResultEvent>().Value);
        Assert.Equal("{ a: 1, b: [ 'x' ] }", (await client.RequestAsync(Js("({a: 1, b: ['x']})"))).Terminal<CodeResultEvent>().Value);
        Assert.Null((await client.RequestAsync(Js("undefined"))).Terminal<CodeResultEvent>().Value);

        var error = (await client.RequestAsync(Js("throw new TypeError('bad thing')"))).Terminal<CodeResultEvent>().Error;
        Assert.Equal("TypeError", error?.Name);
        Assert.Equal("bad thing", error?.Value);
        Assert.Contains("TypeError: bad thing", error?.Traceback);

        var raw = await client.RequestAsync(Js("require('fs').writeSync(1, 'raw\\n'); require('child_process').execSync('echo child', {stdio: 'inherit'}); inc(1)"));
        Assert.Equal("raw\nchild\n", raw.Stdout());
        Assert.Equal("2", raw.Terminal<CodeResultEvent>().Value);
        Assert.Equal("41", (await client.RequestAsync(Js("counter + 1"))).Terminal<CodeResultEvent>().Value);
    }

    [Fact]
    public async Task JavaScript_AwaitsAPromiseResult_StreamingItsOutput()
    {
        // Causal, not timed: the cell prints, then waits for a file the test creates only once that print has
        // arrived. Output held back until the end of the cell would leave it waiting out its 20 s, then 'never'.
        await using var client = await agent.ConnectAsync();
        var go = Path.Combine(agent.WorkDir, $"go-{Guid.NewGuid():N}");
        var seen = $"require('fs').existsSync({JsonSerializer.Serialize(go)})";
        var (_, events) = await client.SendAsync(new RunCodeRequest(
            $"(async () => {{ console.log('first'); for (let i = 0; i < 200 && !{seen}; i++) await new Promise(r => setTimeout(r, 100)); console.log({seen} ? 'seen' : 'never'); return 'done' }})()",
            "javascript", null, null, 30_000));
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = await events.ReadAsync(wait.Token);
        Assert.True(first.Event is OutputEvent, $"first event: {first.Event}");
        Assert.Equal("first\n", Encoding.UTF8.GetString(first.Payload));
        await File.WriteAllTextAsync(go, "");

        var rest = await AgentClient.CollectAsync(events, "RunCodeRequest");
        Assert.Equal("seen\n", rest.Stdout());
        Assert.Equal("'done'", rest.Terminal<CodeResultEvent>().Value);
    }

    [Fact]
    public async Task JavaScript_Timeout_RestartsTheKernel()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("javascript", null));
        var timedOut = (await client.RequestAsync(new RunCodeRequest("while (true) {}", "javascript", context.ContextId, null, 500))).Terminal<CodeResultEvent>();
        Assert.True(timedOut.TimedOut);
        var next = (await client.RequestAsync(new RunCodeRequest("1 + 1", "javascript", context.ContextId, null, 10_000))).Terminal<CodeResultEvent>();
        Assert.Equal("2", next.Value);
    }

    [Fact]
    public async Task DeletedOrUnknownContexts_AreReportedAsNotFound_AndUnknownLanguagesAsUnsupported()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        await client.CallAsync<OkEvent>(new DeleteContextRequest(context.ContextId));
        var error = await client.CallAsync<ErrorEvent>(Run("1", context.ContextId));
        Assert.Equal(AgentErrorCodes.ContextNotFound, error.Code);
        var unsupported = await client.CallAsync<ErrorEvent>(new CreateContextRequest("cobol", null));
        Assert.Equal(AgentErrorCodes.UnsupportedLanguage, unsupported.Code);
    }

    [Fact]
    public async Task Python_CancelledRun_EndsWithCancelled_AndTheContextWorksAgain()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        var (id, events) = await client.SendAsync(Run("import time\nprint('started')\ntime.sleep(100)", context.ContextId));
        // Wait for the line (it may come in more than one chunk) before cancelling.
        var started = "";
        while (!started.Contains('\n'))
        {
            started += System.Text.Encoding.UTF8.GetString((await events.ReadAsync()).Payload);
        }

        Assert.Equal("started\n", started);
        await client.CallAsync<OkEvent>(new CancelRequest(id));
        var result = (await AgentClient.CollectAsync(events, "cancelled run")).Terminal<CodeResultEvent>();
        Assert.True(result.Cancelled);
        Assert.False(result.TimedOut);
        Assert.Equal("4", (await client.RequestAsync(Run("2 + 2", context.ContextId))).Terminal<CodeResultEvent>().Value);
    }

    [Fact]
    public async Task Python_KernelThatExits_IsReported_AndRestartsOnTheNextRun()
    {
        await using var client = await agent.ConnectAsync();
        var context = await client.CallAsync<ContextCreatedEvent>(new CreateContextRequest("python", null));
        var died = (await client.RequestAsync(Run("import os\nos._exit(1)", context.ContextId))).Terminal<CodeResultEvent>();
        Assert.Equal("KernelDiedError", died.Error?.Name);
        Assert.Equal("3", (await client.RequestAsync(Run("1 + 2", context.ContextId))).Terminal<CodeResultEvent>().Value);
    }
}
