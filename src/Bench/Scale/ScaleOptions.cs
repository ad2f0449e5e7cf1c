using System.Globalization;

namespace SoulBox.Bench.Scale;

/// <summary>Command line of <c>SoulBox.Bench scale</c>. Every option has a default; <c>--quick</c> swaps in tiny ones.</summary>
internal sealed class ScaleOptions
{
    public int[] Workers { get; private set; } = [1, 2];
    public double WorkerCpus { get; private set; } = 0.1;
    public int UsersPerWorker { get; private set; } = 8;
    public int SandboxesPerWorker { get; private set; } = 4;
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(5);
    public TimeSpan Window { get; private set; } = TimeSpan.FromSeconds(20);
    public string Transport { get; private set; } = "http";
    public double HeadroomPercentOfCore { get; private set; } = 80;
    public double RatioBar { get; private set; } = 1.6;
    public string? OutputDirectory { get; private set; }
    public bool Quick { get; private set; }

    public static ScaleOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ScaleOptions();
        if (args.Contains("--quick"))
        {
            options.Quick = true;
            options.UsersPerWorker = 2;
            options.SandboxesPerWorker = 1;
            options.Warmup = TimeSpan.FromSeconds(1);
            options.Window = TimeSpan.FromSeconds(3);
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            double Number() => double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw new ArgumentException($"{arg} needs a positive number");
            int Count() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw new ArgumentException($"{arg} needs a positive whole number");
            switch (arg)
            {
                case "--quick":
                    break;
                case "--workers":
                    options.Workers = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(w => int.TryParse(w, out var n) && n is > 0 and <= 8 ? n : throw new ArgumentException("--workers takes counts from 1 to 8, e.g. 1,2,3")).Distinct().Order()];
                    break;
                case "--worker-cpu":
                    options.WorkerCpus = Number();
                    break;
                case "--users-per-worker":
                    options.UsersPerWorker = Count();
                    break;
                case "--sandboxes-per-worker":
                    options.SandboxesPerWorker = Count();
                    break;
                case "--warmup":
                    options.Warmup = TimeSpan.FromSeconds(Number());
                    break;
                case "--window":
                    options.Window = TimeSpan.FromSeconds(Number());
                    break;
                case "--transport":
                    options.Transport = Value() is var t && t is "http" or "client" ? t : throw new ArgumentException("--transport must be http or client");
                    break;
                case "--headroom":
                    options.HeadroomPercentOfCore = Number();
                    break;
                case "--out":
                    options.OutputDirectory = Value();
                    break;
                default:
                    throw new ArgumentException($"unknown scale option '{arg}'");
            }
        }

        if (options.Workers.Length == 0)
        {
            throw new ArgumentException("--workers needs at least one count");
        }

        return options;
    }

    public ScaleSettings Settings() => new()
    {
        Workers = Workers, WorkerCpus = WorkerCpus, UsersPerWorker = UsersPerWorker, SandboxesPerWorker = SandboxesPerWorker,
        WarmupSeconds = Warmup.TotalSeconds, WindowSeconds = Window.TotalSeconds, Transport = Transport,
        HeadroomPercentOfCore = HeadroomPercentOfCore, RatioBar = RatioBar,
    };

    public const string Usage = """
          dotnet run -c Release --project src/Bench -- scale [--workers 1,2,3] [--worker-cpu 0.1] [--users-per-worker 8]
                                                     [--sandboxes-per-worker 4] [--warmup 5] [--window 20]
                                                     [--transport http|client] [--headroom 80] [--quick] [--out DIR]
          dotnet run -c Release --project src/Bench -- capacity [--results scale-results.json] [--hosts 1,2,4,8,16,32]
        """;
}
