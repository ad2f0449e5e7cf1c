namespace SoulBox.E2b.Tests;

/// <summary>@e2b/code-interpreter 2.8.0 on e2b 2.51.0: Programs/code-interpreter.mjs, one code-interpreter-v1 sandbox.</summary>
[Collection(E2bCollection.Name)]
public sealed class CodeInterpreterTests(E2bNode node)
{
    private const string Program = "code-interpreter.mjs";

    [Fact]
    public async Task RunCode_KeepsVariablesBetweenRuns() => (await node.RunOnceAsync(Program)).AssertSection("stateful-run-code");

    [Fact]
    public async Task RunCode_StreamsStdoutAndStderrToTheCallbacksWhileTheCellRuns() => (await node.RunOnceAsync(Program)).AssertSection("streamed-callbacks");

    [Fact]
    public async Task RunCode_TakesEnvs() => (await node.RunOnceAsync(Program)).AssertSection("run-code-envs");

    [Fact]
    public async Task RunCode_AQuietCellLongerThanRequestTimeoutMsStillAnswers() => (await node.RunOnceAsync(Program)).AssertSection("quiet-cell");

    [Fact]
    public async Task RunCode_ReportsAnExceptionWithNameValueAndTraceback() => (await node.RunOnceAsync(Program)).AssertSection("error");

    [Fact]
    public async Task RunCode_ReturnsAMatplotlibChartAsPngAlsoToOnResult() => (await node.RunOnceAsync(Program)).AssertSection("matplotlib-png");

    [Fact]
    public async Task RunCode_ReturnsAPandasDataFrameAsHtml() => (await node.RunOnceAsync(Program)).AssertSection("pandas-html");

    [Fact]
    public async Task RunCode_RunsJavaScript() => (await node.RunOnceAsync(Program)).AssertSection("javascript");

    [Fact]
    public async Task CodeContexts_AreCreatedListedRestartedAndRemoved() => (await node.RunOnceAsync(Program)).AssertSection("contexts");

    [Fact]
    public async Task Program_ExitsZero() => (await node.RunOnceAsync(Program)).AssertExitedZero();
}
