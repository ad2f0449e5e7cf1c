using System.Text;
using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Tests;

/// <summary>Reading helpers over a request's received events.</summary>
public static class Events
{
    public static string Text(this IEnumerable<Received> events, OutputStream stream) => Encoding.UTF8.GetString(
        events.Where(r => r.Event is OutputEvent o && o.Stream == stream).SelectMany(r => r.Payload).ToArray());

    public static string Stdout(this IEnumerable<Received> events) => events.Text(OutputStream.Stdout);

    public static string Stderr(this IEnumerable<Received> events) => events.Text(OutputStream.Stderr);

    public static T Terminal<T>(this List<Received> events)
        where T : AgentEvent =>
        events[^1].Event as T ?? throw new InvalidOperationException($"Expected {typeof(T).Name} last, got {events[^1].Event}");

    public static ExecRequest Shell(string command, int timeoutMs = 10_000, long maxOutput = 1024 * 1024) =>
        new() { Shell = command, Limits = new ExecLimits { TimeoutMs = timeoutMs, MaxOutputBytesPerStream = maxOutput } };

    public static ExecRequest Argv(params string[] argv) =>
        new() { Argv = argv, Limits = new ExecLimits { TimeoutMs = 10_000 } };
}
