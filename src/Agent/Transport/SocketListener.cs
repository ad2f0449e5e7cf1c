using System.Net.Sockets;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Transport;

/// <summary>Listens on the agent's Unix socket; each accepted connection runs on its own.</summary>
internal sealed class SocketListener(string socketPath, WorkerServices services)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(socketPath))!);
        File.Delete(socketPath); // a stale socket from an earlier run would make bind fail
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(16);
        AgentLog.Info($"listening on {socketPath}");
        var connections = 0;
        try
        {
            while (true)
            {
                var client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                _ = new AgentConnection(client, services, ++connections).RunAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
