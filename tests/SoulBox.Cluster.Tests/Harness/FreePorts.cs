using System.Net.Sockets;

namespace SoulBox.Cluster.Tests.Harness;

/// <summary>Free loopback TCP ports. A port is free when asked and could be taken before it is bound again; the
/// ports handed out by this process are remembered so two servers of one test never get the same one.</summary>
internal static class FreePorts
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (Given)
            {
                if (Given.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
