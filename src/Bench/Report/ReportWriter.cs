using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SoulBox.Bench.Measurement;
using SoulBox.Bench.Planning;
using SoulBox.Bench.Results;
using SoulBox.Bench.Scenarios;

namespace SoulBox.Bench.Report;

/// <summary>Writes a run's three outputs: report.md (the published tables beside this machine's figures and
/// the baselines, with ratios), results.json (every raw figure) and the SVG charts.</summary>
internal static class ReportWriter
{
    public const string ReportFile = "report.md";
    public const string ResultsFile = "results.json";
    public static readonly string[] ChartFiles = ["latency.svg", "throughput.svg", "memory.svg", "cpu.svg"];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void WriteAll(string directory, BenchResults results, RegressionReport? regression)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ResultsFile), JsonSerializer.Serialize(results, Json));
        WriteCharts(directory, results);
        File.WriteAllText(Path.Combine(directory, ReportFile), Markdown(results, regression));
    }

    public static BenchResults Load(string path) =>
        JsonSerializer.Deserialize<BenchResults>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} holds no results");

    // ------------------------------------------------------------------ Markdown

    public static string Markdown(BenchResults r, RegressionReport? regression)
    {
        var md = new StringBuilder();
        var run = r.Run;
        md.AppendLine("# SoulBox benchmark");
        md.AppendLine();
        md.AppendLine(C, $"Run {run.StartedAt:yyyy-MM-dd HH:mm:ss} UTC, {run.DurationSeconds:F0} s, mode **{run.Mode}**, build {run.BuildConfiguration}. Command: `{run.Command}`");
        md.AppendLine();
        md.AppendLine(C, $"* Machine: {run.Cores} cores, {run.MemoryMb / 1024:F1} GB, {run.Os}, {run.Runtime}");
        md.AppendLine(C, $"* Docker: {run.Docker}");
        md.AppendLine(C, $"* SoulBox under test: {run.Target}");
        md.AppendLine(C, $"* Transports measured: {string.Join(", ", run.Transports.Select(t => t switch
        {
            "client" => "client (.NET client, Orleans grain calls)",
            "e2b" => "E2B SDK (E2B's official @e2b/code-interpreter 2.8.0 on e2b 2.51.0 under node, through the node's E2B gateway; warm and cold start only)",
            _ => "http (HTTP gateway /v1)",
        }))}");
        md.AppendLine(C, $"* Published figures: SoulBox on an {Published.Machine}; \"here\" figures: this machine, this run. Baselines use the same images and code: `docker run --rm` per request (CLI), and Docker exec per request (Engine API: create exec + start + read output) into a warm container.");
        md.AppendLine("* CPU percentages are of the whole machine (all cores = 100 %). Memory: node = silo process RSS; sandboxes = sum of the containers' cgroup memory minus inactive file cache (as `docker stats`).");
        foreach (var note in run.Notes)
        {
            md.AppendLine(C, $"* {note}");
        }

        foreach (var skip in r.Skipped)
        {
            md.AppendLine(C, $"* **Not available — {skip.Scenario}:** {skip.Reason}.");
        }

        md.AppendLine();
        Summary(md, r);
        Goals(md, r);
        ColdStart(md, r);
        Warm(md, r);
        Throughput(md, r);
        Memory(md, r);
        Cpu(md, r);
        Languages(md, r);
        Batches(md, r);
        Targets(md, r);
        Stages(md, r);
        Regression(md, regression);

        md.AppendLine("## Charts");
        md.AppendLine();
        foreach (var chart in ChartFiles)
        {
            md.AppendLine(C, $"![{chart}]({chart})");
            md.AppendLine();
        }

        md.AppendLine(C, $"Raw figures: [{ResultsFile}]({ResultsFile}). Options: {string.Join(", ", run.Options.Select(o => $"{o.Key}={o.Value}"))}.");
        return md.ToString();
    }

    private static void Summary(StringBuilder md, BenchResults r)
    {
        md.AppendLine("## Summary");
        md.AppendLine();
        foreach (var line in r.Summary)
        {
            md.AppendLine(C, $"* {line}");
        }

        if (r.Summary.Count == 0)
        {
            md.AppendLine("* No throughput level measured (the summary needs the throughput scenario).");
        }

        md.AppendLine();
    }

    private static void Goals(StringBuilder md, BenchResults r)
    {
        md.AppendLine(C, $"## Goals on this {r.Run.Cores}-core machine");
        md.AppendLine();
        md.AppendLine("| Goal | Measured | Met | Detail |");
        md.AppendLine("|---|---|---|---|");
        foreach (var g in r.Goals)
        {
            md.AppendLine(C, $"| {g.Goal} | {g.Measured} | {Met(g.Met)} | {g.Detail} |");
        }

        md.AppendLine();
    }

    private static void ColdStart(StringBuilder md, BenchResults r)
    {
        md.AppendLine("## Cold start: create a sandbox and run `print('Hello World')`");
        md.AppendLine();
        md.AppendLine("| System | n | Mean ms | P50 ms | P95 ms | P99 ms | Std dev ms | Max ms | Errors | docker run --rm ÷ this (P50) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        md.AppendLine(C, $"| SoulBox published ({Published.Machine}) | | {Published.ColdMeanMs} | {Published.ColdP50Ms} | {Published.ColdP95Ms} | {Published.ColdP99Ms} | {Published.ColdStdDevMs} | | | |");
        md.AppendLine(C, $"| E2B published | | {Published.E2bColdMeanMs:N0} | | | | | | | |");
        md.AppendLine(C, $"| A Python code interpreter, published | | {Published.InterpreterColdMeanMs:N0} | | | | | | | |");
        var run = Analysis.Series(r, "coldstart", BenchRunner.DockerRun);
        foreach (var s in r.Series.Where(s => s.Scenario is "coldstart" or "pool").OrderBy(s => s.System == BenchRunner.DockerRun ? 1 : 0))
        {
            var name = s.System == BenchRunner.DockerRun ? "docker run --rm here" : $"SoulBox here ({Transport(s.System)}{(s.Scenario == "pool" ? ", warm pool, 0.5 s between creates" : r.Run.PoolAvailable ? ", back-to-back creates" : ", no pool: container start")})";
            md.AppendLine(C, $"| {name} | {s.Latency.Count} | {F(s.Latency.MeanMs)} | {F(s.Latency.P50Ms)} | {F(s.Latency.P95Ms)} | {F(s.Latency.P99Ms)} | {F(s.Latency.StdDevMs)} | {F(s.Latency.MaxMs)} | {Errors(s.Latency)} | {Ratio(run?.Latency.P50Ms, s.Latency.P50Ms)} |");
        }

        if (!r.Series.Any(s => s.Scenario == "coldstart"))
        {
            md.AppendLine("| SoulBox here | not measured (scenario not selected) | | | | | | | | |");
        }

        md.AppendLine();
    }

    private static void Warm(StringBuilder md, BenchResults r)
    {
        md.AppendLine("## Warm execution: `print('Hello World')` in an existing sandbox");
        md.AppendLine();
        md.AppendLine("| System | n | Mean ms | P50 ms | P95 ms | P99 ms | Max ms | Errors | docker exec ÷ this (P50) | Jupyter kernel ÷ this (P50) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        var exec = Analysis.Series(r, "warm", BenchRunner.DockerExec);
        var kernel = Analysis.Series(r, "warm", BenchRunner.JupyterKernel);
        foreach (var s in r.Series.Where(s => s.Scenario == "warm").OrderBy(s => Order(s.System)))
        {
            var name = s.System switch
            {
                BenchRunner.DockerExec => "docker exec here (warm container)",
                BenchRunner.JupyterKernel => "Jupyter kernel here (jupyter_client → ipykernel, ZeroMQ ipc)",
                _ => $"SoulBox here ({Transport(s.System)})",
            };
            md.AppendLine(C, $"| {name} | {s.Latency.Count} | {F(s.Latency.MeanMs)} | {F(s.Latency.P50Ms)} | {F(s.Latency.P95Ms)} | {F(s.Latency.P99Ms)} | {F(s.Latency.MaxMs)} | {Errors(s.Latency)} | {Ratio(exec?.Latency.P50Ms, s.Latency.P50Ms)} | {Ratio(kernel?.Latency.P50Ms, s.Latency.P50Ms, "F2")} |");
        }

        if (!r.Series.Any(s => s.Scenario == "warm"))
        {
            md.AppendLine("| SoulBox here | not measured (scenario not selected) | | | | | | | | |");
        }

        md.AppendLine();
        md.AppendLine("The Jupyter kernel baseline runs ipykernel with jupyter_client beside it in one container (soulbox/bench-jupyter, `--network none`, 512 MiB, one CPU), "
            + "the ZeroMQ ipc sockets in a host directory mounted at /ipc; the bench sends each cell to the client over a Unix socket there. "
            + "It leaves out a gateway's HTTP/WebSocket layer, so it is a lower bound for a hosted code interpreter such as E2B's.");
        md.AppendLine();
    }

    private static void Throughput(StringBuilder md, BenchResults r)
    {
        md.AppendLine("## Throughput by concurrent users: recursive `fibonacci(10)` in Python, printed");
        md.AppendLine();
        var systems = r.Throughput.Select(t => t.System).Distinct().OrderBy(Order).ToList();
        var levels = r.Throughput.Select(t => t.Users).Union(Published.ThroughputByUsers.Keys).Order().ToList();
        md.Append("| Users | Published req/s |");
        foreach (var s in systems)
        {
            md.Append(C, $" {Name(s)} req/s | {Name(s)} P50 / P95 / P99 ms | {Name(s)} errors |");
        }

        md.AppendLine(" SoulBox ÷ docker exec | SoulBox ÷ docker run | SoulBox ÷ Jupyter kernel |");
        md.Append("|---|---|");
        md.Append(string.Concat(systems.Select(_ => "---|---|---|")));
        md.AppendLine("---|---|---|");
        foreach (var users in levels)
        {
            md.Append(C, $"| {users} | {(Published.ThroughputByUsers.TryGetValue(users, out var p) ? p.ToString("N0", C) : "")} |");
            foreach (var s in systems)
            {
                var t = Analysis.Throughput(r, s, users);
                md.Append(t is null ? " — | — | — |" : $" {t.Rps:N0} | {F(t.Latency.P50Ms)} / {F(t.Latency.P95Ms)} / {F(t.Latency.P99Ms)} | {Errors(t.Latency)} |");
            }

            var soulbox = Analysis.Throughput(r, "soulbox-client", users) ?? Analysis.Throughput(r, "soulbox-http", users);
            md.AppendLine(C, $" {Ratio(soulbox?.Rps, Analysis.Throughput(r, BenchRunner.DockerExec, users)?.Rps)} | {Ratio(soulbox?.Rps, Analysis.Throughput(r, BenchRunner.DockerRun, users)?.Rps)} | {Ratio(soulbox?.Rps, Analysis.Throughput(r, BenchRunner.JupyterKernel, users)?.Rps, "F2")} |");
        }

        md.AppendLine();
        md.AppendLine("\"—\": level not measured in this run (see --users / --baseline-users). Sandboxes per level: " +
            string.Join(", ", r.Throughput.Where(t => t.System.StartsWith(BenchRunner.SoulBoxPrefix, StringComparison.Ordinal)).Select(t => $"{t.Users} users → {t.Sandboxes}").Distinct()) +
            "; the Docker exec baseline execs into one warm container, docker run starts a container per request; the Jupyter kernel baseline runs one kernel per user up to the same sandbox count (above it users share kernels round-robin and queue, one cell at a time per kernel).");
        md.AppendLine();
    }

    private static void Memory(StringBuilder md, BenchResults r)
    {
        md.AppendLine("## Memory by load");
        md.AppendLine();
        md.AppendLine("| Load | Published MB | SoulBox node RSS MB | Sandboxes MB (containers) | SoulBox total MB | docker exec container MB | total ÷ published |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var m in r.Memory)
        {
            md.AppendLine(C, $"| {m.Label} | {F(m.PublishedMb)} | {F(m.SiloRssMb)} | {F(m.SandboxesMb)} ({m.Containers}) | {F(m.TotalMb)} | {F(m.DockerExecMb)} | {Ratio(m.TotalMb, m.PublishedMb)} |");
        }

        foreach (var missing in Published.Memory.Where(p => !r.Memory.Any(m => m.Label.StartsWith(p.Label, StringComparison.Ordinal))))
        {
            md.AppendLine(C, $"| {missing.Label} | {missing.Mb:N0} | not measured in this run | | | | |");
        }

        md.AppendLine(C, $"| idle warm Python sandbox (one container) | 32 | | {F(r.IdleSandboxMb > 0 ? r.IdleSandboxMb : null)} | | | |");
        if (r.IdleJupyterKernelMb > 0)
        {
            md.AppendLine(C, $"| warm Jupyter kernel baseline (one container: kernel + client) | | | {F(r.IdleJupyterKernelMb)} | | | |");
        }
        md.AppendLine();
    }

    private static void Cpu(StringBuilder md, BenchResults r)
    {
        md.AppendLine("## CPU utilisation at offered load (open loop, fib(10))");
        md.AppendLine();
        md.AppendLine("| System | Offered req/s | Published CPU % | Achieved req/s | Machine CPU % | Silo % | Sandboxes % | Docker engine % | Load generator % | Other % | P50 / P95 ms | Errors |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var c in r.Cpu.OrderBy(c => Order(c.System)).ThenBy(c => c.OfferedRps))
        {
            var published = c.System.StartsWith(BenchRunner.SoulBoxPrefix, StringComparison.Ordinal) && Published.CpuByRate.TryGetValue(c.OfferedRps, out var p) ? F(p) : "";
            md.AppendLine(C, $"| {Name(c.System)} | {c.OfferedRps:N0} | {published} | {c.AchievedRps:N0} | {F(c.Resources.MachineCpuPercent)} | {F(c.Resources.SiloCpuPercent)} | {F(c.Resources.SandboxCpuPercent)} | {F(c.Resources.EngineCpuPercent)} | {F(c.Resources.BenchCpuPercent)} | {F(c.Resources.OtherCpuPercent)} | {F(c.Latency.P50Ms)} / {F(c.Latency.P95Ms)} | {Errors(c.Latency)} |");
        }

        if (r.Cpu.Count == 0)
        {
            md.AppendLine("| not measured (scenario not selected) | | | | | | | | | | | |");
        }

        md.AppendLine();
        md.AppendLine("Sandboxes % = CPU inside the sandbox containers (agent, Python kernels), from their cpuacct cgroups; Other % = machine CPU not accounted to the node, the sandboxes, the Docker engine or the load generator (other work on the machine, kernel).");
        md.AppendLine();
    }

    private static void Languages(StringBuilder md, BenchResults r)
    {
        md.AppendLine("## Per language: startup, execution, memory overhead (hello world)");
        md.AppendLine();
        md.AppendLine("| Language | Published startup / exec / memory | SoulBox startup P50 ms (create sandbox) | SoulBox exec P50 ms (warm sandbox) | SoulBox sandbox MB | docker run --rm P50 ms | docker exec P50 ms | docker exec container MB | exec ratio (docker exec ÷ SoulBox) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var l in r.Languages)
        {
            var published = Published.Languages.TryGetValue(l.Language, out var p) ? $"{p.StartupMs} ms / {p.ExecMs} ms / {p.MemoryMb} MB" : "not published";
            if (!l.Available)
            {
                md.AppendLine(C, $"| {l.Language} | {published} | not available: {l.Reason} | | | | | | |");
                continue;
            }

            md.AppendLine(C, $"| {l.Language} | {published} | {F(l.Startup?.P50Ms)}{Errs(l.Startup)} | {F(l.Execution?.P50Ms)}{Errs(l.Execution)} | {F(l.MemoryMb)} | {F(l.DockerRun?.P50Ms)}{Errs(l.DockerRun)} | {F(l.DockerExec?.P50Ms)}{Errs(l.DockerExec)} | {F(l.DockerExecMemoryMb)} | {Ratio(l.DockerExec?.P50Ms, l.Execution?.P50Ms)} |");
        }

        if (r.Languages.Count == 0)
        {
            md.AppendLine("| not measured (scenario not selected) | | | | | | | | |");
        }

        md.AppendLine();
        md.AppendLine("In a sandbox Go and Java compile on every run (go build, javac + java), as the baselines do (go run, single-file java): a sandbox's files outlive its runs and can change what a build writes, so its builds are not cached.");
        var oneShots = r.Languages.Where(l => l.OneShot is not null).ToList();
        if (oneShots.Count > 0)
        {
            md.AppendLine("One-shot runs (execute) use the node's compile cache: a miss is a new source (compile + run), a hit the same source again (the build is copied from the cache into the fresh executor; compile stage 0).");
            md.AppendLine();
            md.AppendLine("| Language | one-shot miss P50 / P95 ms | miss: compile stage P50 ms | one-shot hit P50 / P95 ms | hit: run stage P50 ms | hits reported cached | miss ÷ hit |");
            md.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var l in oneShots)
            {
                var o = l.OneShot!;
                md.AppendLine(C, $"| {l.Language} | {F(o.Miss.P50Ms)} / {F(o.Miss.P95Ms)}{Errs(o.Miss)} | {F(o.MissCompileStage.P50Ms)} | {F(o.Hit.P50Ms)} / {F(o.Hit.P95Ms)}{Errs(o.Hit)} | {F(o.HitRunStage.P50Ms)} | {o.HitsReported}/{o.Hit.Count} | {Ratio(o.Miss.P50Ms, o.Hit.P50Ms)} |");
            }
        }

        md.AppendLine();
    }

    /// <summary>Issue 11's per-language figures side by side: startup, warm execution, one-shot hello world, and a batch
    /// of test cases against the same cases as one-shot calls one after another.</summary>
    private static void Batches(StringBuilder md, BenchResults r)
    {
        var cases = r.Batches.Select(b => b.Cases).DefaultIfEmpty(Workloads.SumCases.Count).Max();
        md.AppendLine(C, $"## Per language: a batch of {cases} cases against {cases} one-shot calls");
        md.AppendLine();
        if (r.Batches.Count == 0)
        {
            md.AppendLine("Not measured (the `languages` or `batch` scenario was not selected).");
            md.AppendLine();
            return;
        }

        var rounds = r.Batches.Where(b => b.Available).Select(b => b.Rounds).DefaultIfEmpty(0).Max();
        md.Append(C, $"The program reads two integers and prints their sum; {cases} inputs with their expected outputs. Batch: one `execute` with `cases` (compiled once, ");
        md.Append(C, $"every case in a fresh process, the node's parallelism); calls: the same {cases} cases as one-shot `execute` calls one after another. One warm-up round ");
        md.Append(C, $"(the compile cache holds the build), then {rounds} round(s), the two sides in turn; medians of the whole request(s), client side. ");
        md.Append("A round whose verdicts or outputs were not all accepted is an error, not a sample. Startup, warm exec and one-shot hello come from the per-language table above ");
        md.Append("(one-shot hello: compile cache miss / hit for compiled languages, one figure for the others). ");
        md.AppendLine("Containers started: the language template's containers the node started while the measured batches (calls) ran, per round, from its /metrics: each case running beside others needs an executor of its own.");
        md.AppendLine();
        md.AppendLine("| Language | startup P50 ms | warm exec P50 ms | one-shot hello P50 ms | batch median ms (on the node; at once) | calls median ms (per call) | calls ÷ batch | compile cached | containers started per round (batch / calls) | errors (batch / calls) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var b in r.Batches)
        {
            if (!b.Available)
            {
                md.AppendLine(C, $"| {b.Language} | not available: {b.Reason} | | | | | | | | |");
                continue;
            }

            var row = r.Languages.FirstOrDefault(l => l.Language == b.Language && l.Available);
            var oneShot = row?.OneShot is not { } o ? "—"
                : SoulBox.Languages.Compiles(b.Language) ? $"{F(o.Miss.P50Ms)} / {F(o.Hit.P50Ms)}"
                : F(o.Hit.Count > 0 ? o.Hit.P50Ms : o.Miss.P50Ms);
            var cached = SoulBox.Languages.Compiles(b.Language) ? $"{b.CompileCachedRounds}/{b.Batch?.Count ?? 0}" : "n/a";
            md.Append(C, $"| {b.Language} | {F(row?.Startup?.P50Ms)} | {F(row?.Execution?.P50Ms)} | {oneShot} | {F(b.Batch?.P50Ms)} ({F(b.BatchOnNode?.P50Ms)}; {b.Parallelism}) ");
            md.AppendLine(C, $"| {F(b.OneShots?.P50Ms)} ({F(b.OneShots?.P50Ms / b.Cases)}) | {(b.Speedup is { } s ? s.ToString("F2", C) + "×" : "—")} | {cached} | {F(b.BatchContainerStarts)} / {F(b.CallsContainerStarts)} | {BatchErrors(b)} |");
        }

        md.AppendLine();
        var failure = r.Batches.FirstOrDefault(b => b.FirstFailure is not null);
        if (failure is not null)
        {
            md.AppendLine(C, $"First failure ({failure.Language}): {failure.FirstFailure}");
            md.AppendLine();
        }
    }

    private static string BatchErrors(BatchComparison b) =>
        (b.Batch?.Errors ?? 0) + (b.OneShots?.Errors ?? 0) == 0 ? "0"
            : $"{b.Batch?.Errors ?? 0} / {b.OneShots?.Errors ?? 0} ({string.Join(", ", new[] { b.Batch, b.OneShots }.OfType<LatencyStats>().SelectMany(l => l.ErrorsByKind.Keys).Distinct())})";

    private static void Targets(StringBuilder md, BenchResults r)
    {
        md.AppendLine("## Published targets");
        md.AppendLine();
        md.AppendLine("| Metric | Target | Measured here | Met | Via |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var t in r.Targets)
        {
            md.AppendLine(C, $"| {t.Name} | {t.Target} | {(t.Value is null ? "not measured" : $"{F(t.Value)} {t.Unit}")} | {Met(t.Met)} | {Name(t.Source)} |");
        }

        md.AppendLine();
    }

    private static void Stages(StringBuilder md, BenchResults r)
    {
        md.AppendLine("## Where the time goes (per-stage timings)");
        md.AppendLine();
        md.AppendLine("| Scenario | Stage | P50 ms | P95 ms |");
        md.AppendLine("|---|---|---|---|");
        foreach (var s in r.Stages)
        {
            md.AppendLine(C, $"| {s.Scenario} | {s.Stage} | {F(s.MedianMs)} | {F(s.P95Ms)} |");
        }

        md.AppendLine();
        var windows = r.Throughput.Where(t => t.Resources is not null && t.Rps > 0).OrderBy(t => Order(t.System)).ThenBy(t => t.Users).ToList();
        if (windows.Count == 0)
        {
            return;
        }

        md.AppendLine("CPU per throughput window (% of the machine) and CPU cost per request (ms of one core):");
        md.AppendLine();
        md.AppendLine("| System | Users | req/s | Machine % | Silo % | Sandboxes % | Docker engine % | Load generator % | Other % | Silo ms/req | Sandboxes ms/req | Silo + sandboxes ms/req | Engine ms/req |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var t in windows)
        {
            var res = t.Resources!;
            var cpu = Analysis.CpuPerRequestOf(t);
            md.AppendLine(C, $"| {Name(t.System)} | {t.Users} | {t.Rps:N0} | {F(res.MachineCpuPercent)} | {F(res.SiloCpuPercent)} | {F(res.SandboxCpuPercent)} | {F(res.EngineCpuPercent)} | {F(res.BenchCpuPercent)} | {F(res.OtherCpuPercent)} | {F(cpu?.SiloMs)} | {F(cpu?.SandboxMs)} | {F(cpu?.SystemMs)} | {F(cpu?.EngineMs)} |");
        }

        md.AppendLine();
        md.AppendLine("For the Jupyter kernel, Sandboxes = its containers (kernel + jupyter_client); it has no silo.");
        md.AppendLine();
    }

    private static void Regression(StringBuilder md, RegressionReport? regression)
    {
        if (regression is null)
        {
            return;
        }

        md.AppendLine("## Regression check");
        md.AppendLine();
        md.AppendLine(C, $"Against `{regression.BaselineFile}` (run {regression.BaselineStartedAt:u}): {regression.Compared} metrics compared (P95 latency limit {Planning.Regression.LatencyLimit}×, memory limit {Planning.Regression.MemoryLimit}×); **{regression.Alerts.Count} regression(s)**.");
        md.AppendLine();
        if (regression.Alerts.Count > 0)
        {
            md.AppendLine("| Metric | Baseline | Now | Ratio | Limit |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (var a in regression.Alerts)
            {
                md.AppendLine(C, $"| {a.Metric} | {F(a.Baseline)} | {F(a.Current)} | {a.Ratio:F2}× | {a.Limit}× |");
            }

            md.AppendLine();
        }
    }

    // ------------------------------------------------------------------ charts

    private static void WriteCharts(string directory, BenchResults r)
    {
        var series = r.Series.Select(s => ($"{s.Scenario}: {Name(s.System)}", s.Latency))
            .Concat(r.Throughput.Select(t => ($"{t.Users} users fib: {Name(t.System)}", t.Latency)))
            .Concat(r.Languages.Where(l => l.Execution is { Count: > 0 }).Select(l => ($"{l.Language} exec: SoulBox", l.Execution!)))
            .Where(x => x.Item2.Count > 0).ToList();
        File.WriteAllText(Path.Combine(directory, "latency.svg"), SvgCharts.HorizontalBarsLog("Latency percentiles per scenario (log scale)", "ms",
            [.. series.Select(s => s.Item1)],
            [
                new("P50", [.. series.Select(s => (double?)s.Item2.P50Ms)]),
                new("P95", [.. series.Select(s => (double?)s.Item2.P95Ms)]),
                new("P99", [.. series.Select(s => (double?)s.Item2.P99Ms)]),
            ]));

        var levels = r.Throughput.Select(t => t.Users).Union(Published.ThroughputByUsers.Keys).Order().ToList();
        var throughput = new List<SvgCharts.Series> { new("SoulBox published (8 cores)", [.. levels.Select(u => Published.ThroughputByUsers.TryGetValue(u, out var p) ? p : (double?)null)]) };
        throughput.AddRange(r.Throughput.Select(t => t.System).Distinct().OrderBy(Order).Select(s =>
            new SvgCharts.Series($"{Name(s)} here", [.. levels.Select(u => Analysis.Throughput(r, s, u)?.Rps)])));
        File.WriteAllText(Path.Combine(directory, "throughput.svg"), SvgCharts.Lines("Throughput vs concurrent users, fib(10)", "concurrent users", "req/s",
            [.. levels.Select(u => u.ToString(C))], throughput));

        var memoryLabels = Published.Memory.Select(m => m.Label).ToList();
        MemoryPoint? Here(string label) => r.Memory.FirstOrDefault(m => m.Label.StartsWith(label, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(directory, "memory.svg"), SvgCharts.GroupedBars("Memory vs load", "MB", memoryLabels,
            [
                new("SoulBox published", [.. Published.Memory.Select(m => (double?)m.Mb)]),
                new("SoulBox here: node RSS", [.. memoryLabels.Select(l => Here(l)?.SiloRssMb)]),
                new("SoulBox here: node + sandboxes", [.. memoryLabels.Select(l => Here(l)?.TotalMb)]),
                new("docker exec container here", [.. memoryLabels.Select(l => Here(l)?.DockerExecMb)]),
            ]));

        var rates = r.Cpu.Select(c => c.OfferedRps).Union(Published.CpuByRate.Keys).Order().ToList();
        var cpu = new List<SvgCharts.Series> { new("SoulBox published (8 cores)", [.. rates.Select(x => Published.CpuByRate.TryGetValue(x, out var p) ? p : (double?)null)]) };
        cpu.AddRange(r.Cpu.Select(c => c.System).Distinct().OrderBy(Order).Select(s =>
            new SvgCharts.Series($"{Name(s)} here (machine)", [.. rates.Select(x => r.Cpu.FirstOrDefault(c => c.System == s && c.OfferedRps == x)?.Resources.MachineCpuPercent)])));
        File.WriteAllText(Path.Combine(directory, "cpu.svg"), SvgCharts.Lines("CPU utilisation vs offered load, fib(10)", "offered req/s", "CPU % of machine",
            [.. rates.Select(x => x.ToString("N0", C))], cpu));
    }

    // ------------------------------------------------------------------ formatting

    private static int Order(string system) => system switch
    {
        "soulbox-client" => 0,
        "soulbox-http" => 1,
        "soulbox-e2b" => 2,
        BenchRunner.JupyterKernel => 3,
        BenchRunner.DockerExec => 4,
        BenchRunner.DockerRun => 5,
        _ => 6,
    };

    private static string Name(string system) => system switch
    {
        "soulbox-client" => "SoulBox (client)",
        "soulbox-http" => "SoulBox (HTTP)",
        BenchRunner.DockerExec => "docker exec",
        BenchRunner.DockerRun => "docker run --rm",
        BenchRunner.JupyterKernel => "Jupyter kernel",
        _ => system,
    };

    private static string Transport(string system) => system.StartsWith(BenchRunner.SoulBoxPrefix, StringComparison.Ordinal)
        ? system[BenchRunner.SoulBoxPrefix.Length..] switch
        {
            "e2b" => "E2B SDK",
            var transport => transport,
        }
        : system;

    private static string F(double? value) => value switch
    {
        null => "—",
        double v when double.IsNaN(v) || double.IsInfinity(v) => "—",
        >= 1000 => value.Value.ToString("N0", C),
        >= 100 => value.Value.ToString("F0", C),
        >= 10 => value.Value.ToString("F1", C),
        _ => value.Value.ToString("F2", C),
    };

    private static string Ratio(double? numerator, double? denominator, string format = "F1") =>
        numerator is { } n && denominator is { } d && d > 0 && n > 0 ? (n / d).ToString(format, C) + "×" : "—";

    private static string Met(bool? met) => met switch { true => "yes", false => "**no**", null => "n/a" };

    private static string Errors(LatencyStats l) =>
        l.Errors == 0 ? "0" : $"{l.Errors} ({string.Join(", ", l.ErrorsByKind.Select(e => $"{e.Key}: {e.Value}"))})";

    private static string Errs(LatencyStats? l) => l is { Errors: > 0 } ? $" ({l.Errors} errors: {string.Join(", ", l.ErrorsByKind.Keys)})" : "";
}
