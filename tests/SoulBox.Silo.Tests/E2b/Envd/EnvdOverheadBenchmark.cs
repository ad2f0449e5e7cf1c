using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using SoulBox.Grains;
using SoulBox.Silo.E2b;
using SoulBox.Silo.E2b.Envd;
using Xunit.Abstractions;

namespace SoulBox.Silo.Tests.E2b.Envd;

/// <summary>Benchmark that only prints (no timing assertions): a warm commands.run-shaped Process.Start and a small
/// files.read through the node's envd (loopback HTTP, the E2B router, access token, Connect framing) against the same
/// grain calls made directly in the node, interleaved, after a warm-up; and the node's own GET /health as the floor of
/// the HTTP stack and client. Iterations: SOULBOX_BENCH_ITERATIONS (default 300). Run alone with:
/// dotnet test tests/SoulBox.Silo.Tests --filter "Category=Benchmark&amp;FullyQualifiedName~Envd" --logger "console;verbosity=detailed"</summary>
[Collection(SiloCollection.Name)]
public sealed class EnvdOverheadBenchmark(SiloFixture node, ITestOutputHelper output)
{
    private const string StartJson = "{\"process\":{\"cmd\":\"/bin/true\"},\"stdin\":false}";

    [Fact]
    [Trait("Category", "Benchmark")]
    public async Task WarmRunAndRead_EnvdVersusGrainCalls()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("SOULBOX_BENCH_ITERATIONS"), out var n) ? n : 300;
        await using var sandbox = await EnvdSandbox.CreateAsync(node);
        var grain = node.Get<IGrainFactory>().GetGrain<ISandboxGrain>(sandbox.Id);
        await grain.WriteFileAsync("small.txt", Encoding.UTF8.GetBytes("hello"), append: false);
        var start = new ProcessStartRequest { Argv = ["/bin/true"] };
        var envelope = new byte[5 + StartJson.Length];
        envelope[4] = (byte)StartJson.Length;
        Encoding.UTF8.GetBytes(StartJson, envelope.AsSpan(5));

        var service = node.Get<EnvdService>();
        var target = new E2bSandboxTarget(sandbox.Id, grain, await grain.GetInfoAsync(), null);

        // The layer alone: EnvdService.HandleAsync on an in-memory HttpContext (no Kestrel, router or client).
        async Task<double> LayerOnce(string method, string path, string? query, byte[]? body, string? contentType)
        {
            var http = new DefaultHttpContext();
            http.Request.Method = method;
            http.Request.Path = path;
            if (query is not null)
            {
                http.Request.QueryString = new QueryString(query);
            }

            http.Request.ContentType = contentType;
            http.Request.Body = body is null ? Stream.Null : new MemoryStream(body);
            var response = new MemoryStream();
            http.Response.Body = response;
            var started = Stopwatch.GetTimestamp();
            await service.HandleAsync(http, target, CancellationToken.None);
            await http.Response.BodyWriter.FlushAsync();
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Assert.True(http.Response.StatusCode == 200 && response.Length > 0, $"{path}: {http.Response.StatusCode}");
            return elapsed;
        }

        Task<double> LayerRunOnce() => LayerOnce("POST", "/process.Process/Start", null, envelope, "application/connect+json");
        Task<double> LayerReadOnce() => LayerOnce("GET", "/files", "?path=small.txt", null, null);

        async Task<double> EnvdRunOnce()
        {
            var started = Stopwatch.GetTimestamp();
            using var content = new ByteArrayContent(envelope);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/connect+json");
            using var response = await sandbox.Http.PostAsync("/process.Process/Start", content);
            var body = await response.Content.ReadAsByteArrayAsync();
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Assert.True(body.Length > 10 && body[^2] == (byte)'{' && body[^7] == 0x02, Encoding.UTF8.GetString(body));
            return elapsed;
        }

        async Task<double> GrainRunOnce()
        {
            var started = Stopwatch.GetTimestamp();
            var events = 0;
            await foreach (var e in grain.StartProcessAsync(start))
            {
                events++;
            }

            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Assert.True(events >= 2);
            return elapsed;
        }

        async Task<double> EnvdReadOnce()
        {
            var started = Stopwatch.GetTimestamp();
            var text = await sandbox.Http.GetStringAsync("/files?path=small.txt");
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Assert.Equal("hello", text);
            return elapsed;
        }

        async Task<double> GrainReadOnce()
        {
            var started = Stopwatch.GetTimestamp();
            var bytes = 0;
            await foreach (var chunk in grain.ReadFileAsync("small.txt").WithBatchSize(2)) // as envd and the REST API read
            {
                bytes += chunk.Length;
            }

            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Assert.Equal(5, bytes);
            return elapsed;
        }

        async Task<double> HealthOnce()
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await node.Anonymous.GetAsync("/health");
            await response.Content.ReadAsStringAsync();
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        for (var i = 0; i < 50; i++)
        {
            await EnvdRunOnce();
            await GrainRunOnce();
            await LayerRunOnce();
            await LayerReadOnce();
            await EnvdReadOnce();
            await GrainReadOnce();
            await HealthOnce();
        }

        var envdRun = new List<double>(iterations);
        var grainRun = new List<double>(iterations);
        var envdRead = new List<double>(iterations);
        var grainRead = new List<double>(iterations);
        var health = new List<double>(iterations);
        var layerRun = new List<double>(iterations);
        var layerRead = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            envdRun.Add(await EnvdRunOnce());
            grainRun.Add(await GrainRunOnce());
            layerRun.Add(await LayerRunOnce());
            health.Add(await HealthOnce());
            await Task.Delay(10); // the grain finishes with the last process before the reads are timed
            grainRead.Add(await GrainReadOnce());
            layerRead.Add(await LayerReadOnce());
            envdRead.Add(await EnvdReadOnce());
        }

        // CPU of the whole test process (client + node) per call of each kind, measured in separate blocks.
        static async Task<double> CpuPerCallAsync(Func<Task<double>> call, int count)
        {
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < count; i++)
            {
                await call();
            }

            return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds / count;
        }

        var cpuEnvdRun = await CpuPerCallAsync(EnvdRunOnce, iterations);
        var cpuGrainRun = await CpuPerCallAsync(GrainRunOnce, iterations);
        var cpuLayerRun = await CpuPerCallAsync(LayerRunOnce, iterations);
        await Task.Delay(100);
        var cpuEnvdRead = await CpuPerCallAsync(EnvdReadOnce, iterations);
        var cpuGrainRead = await CpuPerCallAsync(GrainReadOnce, iterations);
        var cpuLayerRead = await CpuPerCallAsync(LayerReadOnce, iterations);
        var cpuHealth = await CpuPerCallAsync(HealthOnce, iterations);

        output.WriteLine($"warm /bin/true and a 5-byte read, {iterations} interleaved iterations after 50 warm-ups:");
        output.WriteLine($"  envd Process.Start stream over loopback: median {Percentile(envdRun, 50):F3} ms, p99 {Percentile(envdRun, 99):F3} ms; CPU {cpuEnvdRun:F3} ms/call");
        output.WriteLine($"  direct ISandboxGrain.StartProcessAsync:   median {Percentile(grainRun, 50):F3} ms, p99 {Percentile(grainRun, 99):F3} ms; CPU {cpuGrainRun:F3} ms/call");
        output.WriteLine($"  envd GET /files over loopback:           median {Percentile(envdRead, 50):F3} ms, p99 {Percentile(envdRead, 99):F3} ms; CPU {cpuEnvdRead:F3} ms/call");
        output.WriteLine($"  direct ISandboxGrain.ReadFileAsync:       median {Percentile(grainRead, 50):F3} ms, p99 {Percentile(grainRead, 99):F3} ms; CPU {cpuGrainRead:F3} ms/call");
        output.WriteLine($"  floor: node GET /health (HTTP stack + client, no grain): median {Percentile(health, 50):F3} ms; CPU {cpuHealth:F3} ms/call");
        output.WriteLine($"  run:  envd - grain - floor = {Percentile(envdRun, 50) - Percentile(grainRun, 50) - Percentile(health, 50):F3} ms median; CPU {cpuEnvdRun - cpuGrainRun - cpuHealth:F3} ms");
        output.WriteLine($"  read: envd - grain - floor = {Percentile(envdRead, 50) - Percentile(grainRead, 50) - Percentile(health, 50):F3} ms median; CPU {cpuEnvdRead - cpuGrainRead - cpuHealth:F3} ms");
        output.WriteLine($"  EnvdService.HandleAsync alone (in-memory HttpContext), Start: median {Percentile(layerRun, 50):F3} ms; CPU {cpuLayerRun:F3} ms/call");
        output.WriteLine($"  EnvdService.HandleAsync alone (in-memory HttpContext), /files: median {Percentile(layerRead, 50):F3} ms; CPU {cpuLayerRead:F3} ms/call");
        output.WriteLine($"  layer - grain: run {Percentile(layerRun, 50) - Percentile(grainRun, 50):F3} ms median, CPU {cpuLayerRun - cpuGrainRun:F3} ms; read {Percentile(layerRead, 50) - Percentile(grainRead, 50):F3} ms median, CPU {cpuLayerRead - cpuGrainRead:F3} ms");
        output.WriteLine($"  load average while measuring: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    /// <summary>The CPU the layer itself spends on a commands.run (parse the request, map it, format start + stdout + end
    /// and the end-of-stream frame) and on a files.read (nothing but the query), without HTTP or a grain: a tight loop.</summary>
    [Fact]
    [Trait("Category", "Benchmark")]
    public void TranslationCost_OfACommandRun()
    {
        const string json = "{\"process\":{\"cmd\":\"/bin/bash\",\"args\":[\"-l\",\"-c\",\"echo hi\"],\"envs\":{}},\"stdin\":false}";
        var events = new[]
        {
            new ProcessEvent { Kind = ProcessEventKind.Started, Pid = 42 },
            new ProcessEvent { Kind = ProcessEventKind.Stdout, Pid = 42, Data = "hi\n"u8.ToArray() },
            new ProcessEvent { Kind = ProcessEventKind.Exited, Pid = 42, Exit = new ProcessExit { ExitCode = 0 } },
        };
        var sink = new System.Buffers.ArrayBufferWriter<byte>(4096);

        void Once()
        {
            var request = SoulBox.Silo.E2b.Envd.Connect.ConnectUnary.Parse<SoulBox.Silo.E2b.Envd.Protos.Process.StartRequest>(json);
            _ = ProcessRpc.ToStartRequest(request, 60_000);
            sink.ResetWrittenCount();
            foreach (var e in events)
            {
                var message = new SoulBox.Silo.E2b.Envd.Protos.Process.StartResponse { Event = ProcessRpc.ToRpc(e) };
                SoulBox.Silo.E2b.Envd.Connect.ConnectEnvelope.Write(sink, 0, SoulBox.Silo.E2b.Envd.Connect.ConnectJson.Formatter.Format(message));
            }

            SoulBox.Silo.E2b.Envd.Connect.ConnectEnvelope.Write(sink, 2, SoulBox.Silo.E2b.Envd.Connect.ConnectEnvelope.EndStreamJson(null));
        }

        for (var i = 0; i < 20_000; i++)
        {
            Once();
        }

        const int count = 100_000;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            Once();
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / count;
        output.WriteLine($"commands.run translation (parse StartRequest, map, format 3 events + end frame): {elapsed.TotalMicroseconds / count:F2} us wall, {cpuUs:F2} us CPU (whole process), {(GC.GetAllocatedBytesForCurrentThread() - allocated) / count} bytes allocated per run");
        output.WriteLine($"load average while measuring: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
