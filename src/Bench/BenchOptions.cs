using System.Globalization;

namespace SoulBox.Bench;

/// <summary>Command line of a bench run. Every option has a default; <c>--quick</c> swaps in small ones.</summary>
internal sealed class BenchOptions
{
    public static readonly string[] AllScenarios = ["coldstart", "warm", "throughput", "cpu", "languages", "batch", "gateway", "pool"];

    public HashSet<string> Scenarios { get; private set; } = [.. AllScenarios];
    public bool Quick { get; private set; }
    /// <summary>Transports: "client", "http" (skipped with a note until /v1 answers), "e2b" (E2B's SDK through node,
    /// warm and cold start only; skipped with a note until the E2B gateway answers). Default: all three.</summary>
    public HashSet<string> Transports { get; private set; } = ["client", "http", "e2b"];
    /// <summary>HTTP base address of a running node's gateway; with --gateway-port, no node is started.</summary>
    public string? GatewayUrl { get; private set; }
    /// <summary>Orleans client gateway port of a running local node (no node is started).</summary>
    public int? GatewayPort { get; private set; }
    /// <summary>Redis connection string of a running cluster (no node is started).</summary>
    public string? Redis { get; private set; }
    public int[] Users { get; private set; } = [1, 10, 100, 500, 1000];
    /// <summary>Most sandboxes the throughput scenario creates; above it users share them round-robin. Default 100.</summary>
    public int MaxSandboxes { get; private set; } = 100;
    public double[] Rates { get; private set; } = [10, 100, 500, 1000];
    public int[] BaselineUsers { get; private set; } = [1, 10];
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);
    public TimeSpan Window { get; private set; } = TimeSpan.FromSeconds(10);
    public int ColdIterations { get; private set; } = 30;
    public int WarmIterations { get; private set; } = 500;
    public int BaselineIterations { get; private set; } = 20;
    /// <summary>Measured rounds of the batch comparison per language (a batch + the same cases as one-shot calls), after
    /// one warm-up round. Default 5, 1 with --quick.</summary>
    public int BatchRounds { get; private set; } = 5;
    /// <summary>Most cases of a batch at once (the request's maxParallelism); null: the node's default.</summary>
    public int? BatchParallelism { get; private set; }
    public string[] Languages { get; private set; } = [SoulBox.Languages.Python, SoulBox.Languages.JavaScript, SoulBox.Languages.Go, SoulBox.Languages.Java];
    public bool Baselines { get; private set; } = true;
    /// <summary>Measure the Jupyter kernel baseline beside the warm and throughput scenarios when its image is built (default true).</summary>
    public bool Jupyter { get; private set; } = true;
    /// <summary>Build (or rebuild) the bench-only image soulbox/bench-jupyter first when it is missing (default false).</summary>
    public bool BuildJupyter { get; private set; }
    public string? BaselineFile { get; private set; }
    public string? OutputDirectory { get; private set; }
    public Dictionary<string, string> NodeEnv { get; } = [];

    public bool StartsNode => GatewayPort is null && Redis is null;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        var quickDefaults = args.Contains("--quick");
        if (quickDefaults)
        {
            options.Quick = true;
            options.Users = [1, 10];
            options.MaxSandboxes = 10;
            options.Rates = [10, 100];
            options.BaselineUsers = [1];
            options.Warmup = TimeSpan.FromSeconds(0.5);
            options.Window = TimeSpan.FromSeconds(2);
            options.ColdIterations = 5;
            options.WarmIterations = 100;
            options.BaselineIterations = 3;
            options.BatchRounds = 1;
            options.Languages = [SoulBox.Languages.Python, SoulBox.Languages.JavaScript];
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--quick":
                    break;
                case "all":
                    options.Scenarios = [.. AllScenarios];
                    break;
                case "--transport":
                    options.Transports = Value() switch
                    {
                        "both" => ["client", "http"],
                        "all" => ["client", "http", "e2b"],
                        var list => [.. list.Split(',').Select(t => t is "client" or "http" or "e2b"
                            ? t
                            : throw new ArgumentException($"--transport must be client, http, e2b (comma-separated), both or all; got '{list}'"))],
                    };
                    break;
                case "--gateway":
                    options.GatewayUrl = Value().TrimEnd('/');
                    break;
                case "--gateway-port":
                    options.GatewayPort = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--redis":
                    options.Redis = Value();
                    break;
                case "--users":
                    options.Users = Ints(Value(), arg);
                    break;
                case "--sandboxes":
                    options.MaxSandboxes = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), arg);
                    break;
                case "--rates":
                    options.Rates = [.. Ints(Value(), arg).Select(r => (double)r)];
                    break;
                case "--baseline-users":
                    options.BaselineUsers = Ints(Value(), arg);
                    break;
                case "--warmup":
                    options.Warmup = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture));
                    break;
                case "--window":
                    options.Window = TimeSpan.FromSeconds(Positive(double.Parse(Value(), CultureInfo.InvariantCulture), arg));
                    break;
                case "--iterations":
                    options.ColdIterations = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), arg);
                    break;
                case "--warm-iterations":
                    options.WarmIterations = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), arg);
                    break;
                case "--baseline-iterations":
                    options.BaselineIterations = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), arg);
                    break;
                case "--batch-rounds":
                    options.BatchRounds = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), arg);
                    break;
                case "--batch-parallelism":
                    options.BatchParallelism = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), arg);
                    break;
                case "--languages":
                    var languages = Value();
                    options.Languages = languages == "all"
                        ? [.. Workloads.Languages.Select(l => l.Language)]
                        : [.. languages.Split(',').Select(l => SoulBox.Languages.Normalize(l) ?? throw new ArgumentException($"unknown language '{l}'"))];
                    break;
                case "--no-baselines":
                    options.Baselines = false;
                    break;
                case "--no-jupyter":
                    options.Jupyter = false;
                    break;
                case SoulBox.Bench.Baselines.Jupyter.JupyterImage.BuildOption:
                    options.BuildJupyter = true;
                    break;
                case "--baseline":
                    options.BaselineFile = Value();
                    break;
                case "--out":
                    options.OutputDirectory = Value();
                    break;
                case "--node-env":
                    var pair = Value().Split('=', 2);
                    options.NodeEnv[pair[0]] = pair.Length == 2 ? pair[1] : throw new ArgumentException("--node-env needs KEY=VALUE");
                    break;
                case var scenarios when !scenarios.StartsWith('-'):
                    var chosen = scenarios.Split(',');
                    foreach (var s in chosen.Where(s => !AllScenarios.Contains(s)))
                    {
                        throw new ArgumentException($"unknown scenario '{s}' (scenarios: all, {string.Join(", ", AllScenarios)})");
                    }

                    options.Scenarios = [.. chosen];
                    break;
                default:
                    throw new ArgumentException($"unknown option '{arg}'");
            }
        }

        return options;
    }

    public Dictionary<string, string> Describe() => new()
    {
        ["scenarios"] = string.Join(",", AllScenarios.Where(Scenarios.Contains)),
        ["users"] = string.Join(",", Users),
        ["maxSandboxes"] = MaxSandboxes.ToString(CultureInfo.InvariantCulture),
        ["rates"] = string.Join(",", Rates),
        ["baselineUsers"] = string.Join(",", BaselineUsers),
        ["warmupSeconds"] = Warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        ["windowSeconds"] = Window.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        ["coldIterations"] = ColdIterations.ToString(CultureInfo.InvariantCulture),
        ["warmIterations"] = WarmIterations.ToString(CultureInfo.InvariantCulture),
        ["baselineIterations"] = BaselineIterations.ToString(CultureInfo.InvariantCulture),
        ["batchRounds"] = BatchRounds.ToString(CultureInfo.InvariantCulture),
        ["batchParallelism"] = BatchParallelism?.ToString(CultureInfo.InvariantCulture) ?? "node default",
        ["languages"] = string.Join(",", Languages),
        ["baselines"] = Baselines.ToString(),
        ["jupyter"] = Jupyter.ToString(),
    };

    public static readonly string Usage = $$"""
        SoulBox.Bench — reproduces the published SoulBox benchmark tables on this machine, beside Docker baselines.

          dotnet run -c Release --project src/Bench -- [all|SCENARIO[,SCENARIO...]] [options]
          dotnet run -c Release --project src/Bench -- capacity --target-rps N [--results FILE]
                                                     [--price-per-core-hour X --price-per-gb-hour Y]
          dotnet run -c Release --project src/Bench -- --compare BEFORE.json AFTER.json [--out FILE.md]
          dotnet run -c Release --project src/Bench -- e2b-warm [--iterations 1000] [--template code-interpreter-v1] [--gateway URL]
                                                     (median of warm runCode('1+1') through E2B's official SDK)
        {{Scale.ScaleOptions.Usage}}

        Scenarios: coldstart, warm, throughput (also gives the memory table), cpu, languages (the per-language table, with
        the batch comparison), batch (the batch comparison alone), gateway, pool.
        Options:
          --quick                 small windows and levels (< 2 min); used by the smoke test
          --transport T           client | http | e2b, comma-separated, or both (client,http) or all (default all; http is
                                  skipped until /v1 answers, e2b until the E2B gateway does; e2b = E2B's official JS SDK
                                  through node, in the warm and cold-start scenarios only)
          --gateway URL           HTTP gateway of a running node (default: the node the bench starts)
          --gateway-port N        Orleans gateway port of a running local node (the bench starts none)
          --redis CONN            Redis of a running cluster (the bench starts none)
          --users 1,10,100,500,1000   virtual users per throughput level
          --sandboxes N           sandboxes for the throughput levels (default 100; users above share them)
          --rates 10,100,500,1000 offered load (req/s) of the CPU scenario
          --baseline-users 1,10   concurrency levels measured for the Docker baselines
          --warmup S --window S   warm-up and measurement window per level (default 3 s and 10 s)
          --iterations N          cold starts measured (default 30)
          --languages L,...|all   languages of the per-language table and the batch comparison (default python,
                                  javascript,go,java; all = every language, scripts/setup.sh --languages all first)
          --batch-rounds N        measured rounds of a 20-case batch against 20 one-shot calls per language (default 5)
          --batch-parallelism N   most cases of a batch at once (the request's maxParallelism; default: the node's)
          --no-baselines          skip the Docker and Jupyter kernel baselines
          --no-jupyter            skip the Jupyter kernel baseline (measured when soulbox/bench-jupyter is built)
          --build-jupyter         build the bench-only image soulbox/bench-jupyter first if missing (~1-2 min)
          --baseline FILE         compare with an earlier results.json; exit 3 on a regression
          --out DIR               results directory (default bench-results/<timestamp>)
          --node-env KEY=VALUE    extra environment for the node the bench starts (e.g. DOTNET_gcServer=0)
        """;

    private static int[] Ints(string value, string option) =>
        [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => Positive(int.Parse(v, CultureInfo.InvariantCulture), option))];

    private static T Positive<T>(T value, string option) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new ArgumentException($"{option} must be positive");
}
