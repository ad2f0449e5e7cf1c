using SoulBox.Agent.Protocol;

namespace SoulBox.Agent.Worker;

/// <summary>Where a handler sends the events of one request; the transport stamps the request id, holds streaming
/// events to the request's credit (so a slow reader slows the handler, see AgentProtocol.CreditWindowBytes) and
/// serialises writers on the connection.</summary>
internal interface IEventSink
{
    /// <summary>Sends one event. A streaming event waits for credit; it is dropped, not sent, when the request is
    /// cancelled, its connection closes, or <paramref name="cancellationToken"/> is cancelled first (a run's own
    /// timeout: its output no longer matters once it is being killed). <paramref name="flush"/> false: the caller
    /// knows that this request's terminal event follows whatever happens (a run's last output, read together with the
    /// run's end), so the frame may wait in the connection's buffer and leave with it in one write.</summary>
    ValueTask SendAsync(AgentEvent agentEvent, ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default, bool flush = true);
}
