using SoulBox.Bench.Measurement;
using SoulBox.Bench.Report;
using SoulBox.Bench.Results;
using SoulBox.Bench.Target;

namespace SoulBox.Bench.Tests;

/// <summary>The batch comparison's pieces without a node: the HTTP answer's parsing, the verdict and output checks, the
/// workloads, the goal, the metrics and the report's table. The real runs are QuickRunTests'.</summary>
public sealed class BatchComparisonTests
{
    private const string AcceptedBatch = """
        {"language":"go","version":"1.19.8","compile":{"stdout":"","stderr":"","exitCode":0,"wallTimeMs":0,"cached":true},
         "cases":[{"index":0,"verdict":"accepted","status":"ok","stdout":"7\n"},{"index":1,"verdict":"accepted","status":"ok","stdout":"9\n"}],
         "summary":{"total":2,"accepted":2,"elapsedMs":123.5,"parallelism":2}}
        """;

    private const string WrongAnswerBatch = """
        {"language":"python","compile":null,
         "cases":[{"index":0,"verdict":"accepted","stdout":"7\n"},
                  {"index":1,"verdict":"wrong_answer","stdout":"10\n","stderr":"","difference":"line 1: expected 9, got 10"}],
         "summary":{"total":2,"accepted":1,"wrongAnswer":1,"elapsedMs":80,"parallelism":1}}
        """;

    [Fact]
    public void ParseBatch_ReadsVerdictsCacheFlagNodeTimeAndParallelism()
    {
        var batch = HttpDriver.ParseBatch(AcceptedBatch);

        Assert.Equal(["accepted", "accepted"], batch.Verdicts);
        Assert.True(batch.CompileCached);
        Assert.Equal(123.5, batch.NodeElapsedMs);
        Assert.Equal(2, batch.Parallelism);
        Assert.Null(batch.FirstFailure);
        Assert.Null(batch.Check(2));
    }

    [Fact]
    public void ParseBatch_DescribesTheFirstCaseNotAccepted()
    {
        var batch = HttpDriver.ParseBatch(WrongAnswerBatch);

        Assert.False(batch.CompileCached);
        Assert.Equal("case 1: wrong_answer (line 1: expected 9, got 10), stdout '10'", batch.FirstFailure);
        Assert.Equal("verdict wrong_answer", batch.Check(2));
    }

    [Fact]
    public void ParseBatch_RejectsAnAnswerWithoutCases()
    {
        Assert.Throws<InvalidDataException>(() => HttpDriver.ParseBatch("""{"stdout":"7\n","status":"ok"}"""));
    }

    [Fact]
    public void ContainerStarts_AreTheStartHistogramsCountPerTemplate()
    {
        const string exposition = """
            soulbox_container_start_duration_milliseconds_bucket{otel_scope_name="SoulBox",template="gcc",le="250"} 3
            soulbox_container_start_duration_milliseconds_sum{otel_scope_name="SoulBox",template="gcc"} 612.5
            soulbox_container_start_duration_milliseconds_count{otel_scope_name="SoulBox",template="gcc"} 4
            soulbox_container_start_duration_milliseconds_count{otel_scope_name="SoulBox",template="python"} 2
            soulbox_pool_warm{otel_scope_name="SoulBox",template="python"} 1
            """;

        Assert.Equal(new Dictionary<string, int> { ["gcc"] = 4, ["python"] = 2 }, PoolGauge.Parse(exposition, PoolGauge.ContainerStartsMetric));
    }

    [Fact]
    public void BatchCheck_CountsMissingVerdictsAsAnError()
    {
        var batch = new BenchBatch(["accepted"], false, 1, 1, null);

        Assert.Equal("1 of 20 verdicts", batch.Check(20));
    }

    [Fact]
    public void Judge_ComparesWholeLinesIgnoringTrailingWhitespace()
    {
        static BenchExecution Run(string stdout, string status = "ok") => new(stdout, status, 0, false, 1);

        Assert.Null(Run("7\r\n").Judge("7\n"));
        Assert.Null(Run("7  \n\n").Judge("7\n"));
        Assert.Equal("wrong output", Run("17\n").Judge("7\n"));
        Assert.Equal("wrong output", Run("").Judge("7\n"));
        Assert.Equal("status runtime_error", Run("7\n", "runtime_error").Judge("7\n"));
    }

    [Fact]
    public void Workloads_HaveTheSumProgramForEveryLanguage()
    {
        var languages = SoulBox.Languages.Table.Where(l => l.VariantOf is null).Select(l => l.Name).ToList();

        Assert.Equal(languages.Order(), Workloads.Languages.Select(w => w.Language).Order());
        Assert.All(Workloads.Languages, w => Assert.False(string.IsNullOrWhiteSpace(w.SumCode), $"{w.Language} has no sum program"));
        Assert.All(Workloads.Languages, w => Assert.Equal(SoulBox.Languages.DefaultTemplate(w.Language), w.Template));
        Assert.Equal(SoulBox.Languages.Python, Workloads.Python.Language);
    }

    [Fact]
    public void SumCases_AreTwentyDistinctInputsWithTheirSums()
    {
        Assert.Equal(20, Workloads.SumCases.Count);
        Assert.Equal(20, Workloads.SumCases.Select(c => c.Stdin).Distinct().Count());
        Assert.Contains(Workloads.SumCases, c => c.Stdin.StartsWith('-'));
        Assert.All(Workloads.SumCases, c =>
        {
            var numbers = c.Stdin.Split(' ', StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
            Assert.Equal($"{numbers[0] + numbers[1]}\n", c.ExpectedOutput);
        });
    }

    private static BatchComparison Comparison(string language, double batchMs, double callsMs, int errors = 0) =>
        new(language, "t", true, null, 20, 3,
            LatencyStats.From([batchMs, batchMs, batchMs], errors == 0 ? null : new Dictionary<string, int> { ["verdict wrong_answer"] = errors }),
            LatencyStats.From([callsMs, callsMs, callsMs]), LatencyStats.From([batchMs - 5]), 4, 3, errors == 0 ? null : "case 3: wrong_answer", 2, 0);

    private static BenchResults Results(params BatchComparison[] batches) => new()
    {
        Run = new RunInfo { Cores = 2, Transports = ["client"] },
        Batches = [.. batches],
    };

    [Fact]
    public void Goal_IsMetWhenEveryBatchBeatsItsCallsWithEveryVerdictAccepted()
    {
        var results = Results(Comparison("go", 100, 400), Comparison("python", 200, 300));

        Analysis.Complete(results);

        var goal = Assert.Single(results.Goals, g => g.Goal.StartsWith("A batch of 20 cases", StringComparison.Ordinal));
        Assert.True(goal.Met);
        Assert.Equal("2/2 languages; calls ÷ batch from 1.50× (python) to 4.00× (go)", goal.Measured);
        Assert.Equal(4, results.Metrics["batch.go.calls_vs_batch.speedup"], 6);
        Assert.Equal(100, results.Metrics["batch.go.batch_median_ms"]);
        Assert.Equal(400, results.Metrics["batch.go.oneshots_median_ms"]);
        Assert.Equal(0, results.Metrics["batch.go.errors"]);
    }

    [Fact]
    public void Goal_NamesSlowerLanguagesFailedVerdictsAndMissingImages()
    {
        var results = Results(Comparison("bash", 200, 100), Comparison("go", 100, 400, errors: 1), BatchComparison.NotAvailable("r", "r", "image soulbox/r:latest is not built"));

        Analysis.Complete(results);

        var goal = Assert.Single(results.Goals, g => g.Goal.StartsWith("A batch of 20 cases", StringComparison.Ordinal));
        Assert.False(goal.Met);
        Assert.Equal("batch slower in bash 0.50×; verdicts or outputs not all accepted in go", goal.Detail);
        Assert.Equal(1, results.Metrics["batch.go.errors"]);
        Assert.DoesNotContain(results.Metrics.Keys, k => k.StartsWith("batch.r.", StringComparison.Ordinal));
    }

    [Fact]
    public void Goal_IsAbsentWithoutBatches()
    {
        var results = Results();

        Analysis.Complete(results);

        Assert.DoesNotContain(results.Goals, g => g.Goal.StartsWith("A batch", StringComparison.Ordinal));
    }

    [Fact]
    public void Report_PutsStartupWarmExecOneShotAndTheBatchSideBySide()
    {
        var results = Results(Comparison("go", 100, 400), BatchComparison.NotAvailable("r", "r", "image soulbox/r:latest is not built"));
        results.Languages.Add(new LanguageResult("go", "go", true, null, LatencyStats.From([250.0]), LatencyStats.From([180.0]), 20, null, null, null,
            new OneShotCompileResult(LatencyStats.From([900.0]), LatencyStats.From([60.0]), LatencyStats.From([800.0]), LatencyStats.From([5.0]), 1)));
        Analysis.Complete(results);

        var report = ReportWriter.Markdown(results, null);

        Assert.Contains("## Per language: a batch of 20 cases against 20 one-shot calls", report, StringComparison.Ordinal);
        Assert.Contains("| go | 250 | 180 | 900 / 60.0 | 100 (95.0; 4) | 400 (20.0) | 4.00× | 3/3 | 2.00 / 0.00 | 0 |", report, StringComparison.Ordinal);
        Assert.Contains("| r | not available: image soulbox/r:latest is not built |", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_ShowsFailedRoundsAndTheFirstFailure()
    {
        var results = Results(Comparison("go", 100, 400, errors: 2));

        var report = ReportWriter.Markdown(results, null);

        Assert.Contains("| 2 / 0 (verdict wrong_answer) |", report, StringComparison.Ordinal);
        Assert.Contains("First failure (go): case 3: wrong_answer", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_AddTheBatchScenarioToAllAndParseItsRounds()
    {
        Assert.Contains("batch", BenchOptions.Parse(["all"]).Scenarios);
        Assert.Equal(5, BenchOptions.Parse(["languages"]).BatchRounds);
        Assert.Equal(1, BenchOptions.Parse(["all", "--quick"]).BatchRounds);
        var options = BenchOptions.Parse(["batch", "--batch-rounds", "3", "--languages", "all"]);
        Assert.Equal(["batch"], options.Scenarios);
        Assert.Equal(3, options.BatchRounds);
        Assert.Contains(SoulBox.Languages.Shell, options.Languages);
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["batch", "--batch-rounds", "0"]));
        Assert.Null(options.BatchParallelism);
        Assert.Equal(1, BenchOptions.Parse(["batch", "--batch-parallelism", "1"]).BatchParallelism);
    }
}
