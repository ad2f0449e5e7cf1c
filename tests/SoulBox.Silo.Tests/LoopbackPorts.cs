using System.Net.Sockets;

namespace SoulBox.Silo.Tests;

/// <summary>Free loopback ports for the fixtures' nodes. A port is found by binding port 0 and closing it again, and is
/// bound for real only later; the kernel may hand the same port to the next such probe, so two fixtures starting side
/// by side could both pick it and one fail with "address already in use". A port is given out once per test run.</summary>
internal static class LoopbackPorts
{
    private static readonly HashSet<int> Given = [];

    public static int Free()
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
