using System.Diagnostics;
using SoulBox.Bench.Measurement;

namespace SoulBox.Bench.Scale;

/// <summary>Samples the scale scenario's processes every second during a window: each silo (gateway, workers), the load
/// generator (this process), Redis and the Docker engine (dockerd + containerd + shims) as a share of one core, mean and
/// peak; each worker's parent cgroup (all its containers' CPU, and the quota's throttling); and the whole machine.</summary>
internal sealed class ScaleSampler
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly string[] EngineNames = ["dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2"];
    private const double TicksPerSecond = 100;

    private readonly IReadOnlyList<(string Name, string Role, int Pid)> _processes;
    private readonly IReadOnlyList<(string Worker, ParentCgroup Cgroup)> _budgets;
    private CancellationTokenSource? _cts;
    private Task<ScaleResources>? _loop;

    public ScaleSampler(IReadOnlyList<(string Name, string Role, int Pid)> processes, IReadOnlyList<(string Worker, ParentCgroup Cgroup)> budgets)
    {
        _processes = processes;
        _budgets = budgets;
    }

    public void Start()
    {
        _cts = new CancellationTokenSource();
        _loop = Task.Run(() => LoopAsync(_cts.Token));
    }

    public async Task<ScaleResources> StopAsync()
    {
        await _cts!.CancelAsync();
        var result = await _loop!;
        _cts.Dispose();
        return result;
    }

    /// <summary>CPU ticks of every tracked "process": the named ones, the bench itself, and the engine as one group.</summary>
    private Dictionary<string, long> Ticks(Dictionary<int, long> engineStart)
    {
        var ticks = _processes.ToDictionary(p => p.Name, p => ProcFs.CpuTicks(p.Pid));
        ticks["load generator (bench)"] = (long)(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds * TicksPerSecond);
        foreach (var pid in ProcFs.PidsNamed(EngineNames).Where(pid => !engineStart.ContainsKey(pid)))
        {
            engineStart[pid] = 0; // a shim started in the window: all its CPU is the window's
        }

        ticks["docker engine"] = engineStart.Keys.Sum(ProcFs.CpuTicks);
        return ticks;
    }

    private async Task<ScaleResources> LoopAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var machine0 = ProcFs.MachineCpu();
        var engineStart = ProcFs.PidsNamed(EngineNames).ToDictionary(p => p, _ => 0L);
        var engineBase = engineStart.Keys.Sum(ProcFs.CpuTicks);
        var first = Ticks(engineStart);
        first["docker engine"] = engineBase;
        var budget0 = _budgets.Select(b => (b.Cgroup.UsageNanoseconds(), b.Cgroup.Throttling())).ToArray();
        var last = first;
        var lastAt = Stopwatch.GetTimestamp();
        var lastMachine = machine0;
        var peaks = first.Keys.ToDictionary(k => k, _ => 0.0);
        var machinePeak = 0.0;

        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = Ticks(engineStart);
                var nowAt = Stopwatch.GetTimestamp();
                var seconds = Stopwatch.GetElapsedTime(lastAt, nowAt).TotalSeconds;
                foreach (var (name, value) in now)
                {
                    peaks[name] = Math.Max(peaks.GetValueOrDefault(name), 100 * (value - last.GetValueOrDefault(name)) / TicksPerSecond / seconds);
                }

                var machine = ProcFs.MachineCpu();
                if (machine.Total > lastMachine.Total)
                {
                    machinePeak = Math.Max(machinePeak, 100.0 * (machine.Busy - lastMachine.Busy) / (machine.Total - lastMachine.Total));
                }

                (last, lastAt, lastMachine) = (now, nowAt, machine);
            }
        }
        catch (OperationCanceledException)
        {
        }

        var window = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var end = Ticks(engineStart);
        var machine1 = ProcFs.MachineCpu();
        var roles = _processes.ToDictionary(p => p.Name, p => p.Role);
        var processes = end.Select(e =>
        {
            var cpuSeconds = Math.Max(0, e.Value - first.GetValueOrDefault(e.Key)) / TicksPerSecond;
            return new ProcessCpu(e.Key, roles.GetValueOrDefault(e.Key, e.Key == "docker engine" ? "engine" : "bench"), cpuSeconds, 100 * cpuSeconds / window, peaks.GetValueOrDefault(e.Key));
        }).ToList();

        var budgets = _budgets.Select((b, i) =>
        {
            var cpuSeconds = Math.Max(0, b.Cgroup.UsageNanoseconds() - budget0[i].Item1) / 1e9;
            var throttling = b.Cgroup.Throttling();
            var periods = throttling.Periods - budget0[i].Item2.Periods;
            var throttled = throttling.Throttled - budget0[i].Item2.Throttled;
            return new WorkerBudget(b.Worker, b.Cgroup.Path, b.Cgroup.Cpus, cpuSeconds, 100 * cpuSeconds / window / b.Cgroup.Cpus, periods <= 0 ? 0 : 100.0 * throttled / periods);
        }).ToList();

        double Sum(string role) => processes.Where(p => p.Role == role).Sum(p => p.CpuSeconds);
        return new ScaleResources
        {
            WindowSeconds = window,
            MachineCpuPercent = machine1.Total == machine0.Total ? 0 : 100.0 * (machine1.Busy - machine0.Busy) / (machine1.Total - machine0.Total),
            MachinePeakCpuPercent = machinePeak,
            Processes = processes,
            Budgets = budgets,
            GatewayCpuSeconds = Sum("gateway"),
            WorkerSiloCpuSeconds = Sum("worker"),
            SandboxCpuSeconds = budgets.Sum(b => b.CpuSeconds),
            EngineCpuSeconds = Sum("engine"),
            BenchCpuSeconds = Sum("bench"),
        };
    }
}
