using System.Runtime.InteropServices;
using SoulBox.Agent;
using SoulBox.Agent.Transport;
using SoulBox.Agent.Worker;

// soulbox-agent: serves the SoulBox agent protocol (Protocol/AgentMessages.cs) on a Unix socket
// inside a sandbox container. Layers: Transport (framing, dispatch) → Worker (requests) → Exec (processes).
// Socket and pipe completions run on the epoll thread instead of being queued to the thread pool: the agent's
// continuations are short (frame parsing, one kernel line, one reply frame; anything slow is queued to the pool by
// RequestRouter), and a queued continuation costs a thread wake-up per read on a node where a hundred agents share a
// few cores. Read once, when the first socket is made, so it is set before anything else.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

AgentOptions options;
try
{
    options = AgentOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"soulbox-agent: {e.Message}");
    return 2;
}

if (options.PrintVersion)
{
    Console.WriteLine($"soulbox-agent {AgentOptions.Version}");
    return 0;
}

using var shutdown = new CancellationTokenSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; shutdown.Cancel(); });
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; shutdown.Cancel(); });

var services = new WorkerServices(options);
AgentLog.Info($"version {AgentOptions.Version}, pid {Environment.ProcessId}, work {services.Paths.WorkDirectory}, uid {options.Uid}");
await new SocketListener(options.SocketPath, services).RunAsync(shutdown.Token);
await services.Kernels.StopAllAsync();
AgentLog.Info("stopped");
return 0;
