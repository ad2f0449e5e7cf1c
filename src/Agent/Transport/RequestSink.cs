using SoulBox.Agent.Protocol;
using SoulBox.Agent.Worker;

namespace SoulBox.Agent.Transport;

/// <summary>The events of one request: stamps the request id, spends the request's credit on every streaming event
/// (waiting while the silo's consumer is behind; the connection's writer lock is not held meanwhile, so other
/// requests keep flowing), and writes through the connection. A streaming event that gets no credit before the
/// request is cancelled, its connection closes or <paramref name="window"/> is closed is dropped; nothing is
/// written after the terminal event.</summary>
internal sealed class RequestSink(AgentConnection connection, long requestId, CreditWindow? window = null, CancellationToken requestCancelled = default) : IEventSink
{
    private volatile bool _ended;

    public ValueTask SendAsync(AgentEvent agentEvent, ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default, bool flush = true)
    {
        if (_ended)
        {
            return ValueTask.CompletedTask;
        }

        if (agentEvent.IsTerminal)
        {
            _ended = true;
            return connection.SendAsync(agentEvent with { Id = requestId }, payload);
        }

        if (window is null)
        {
            return connection.SendAsync(agentEvent with { Id = requestId }, payload, flush);
        }

        var credit = window.TakeAsync(AgentProtocol.CreditCost(payload.Length), requestCancelled, cancellationToken);
        // A frame left unflushed holds credit the silo cannot see yet: only while the window keeps room for the largest
        // frame may it wait, so no sender of this request can be waiting for credit that needs that frame read first.
        if (!flush && window.Available < AgentProtocol.CreditCost(AgentProtocol.MaxPayloadChunkBytes))
        {
            flush = true;
        }

        return credit.IsCompletedSuccessfully
            ? (credit.Result ? connection.SendAsync(agentEvent with { Id = requestId }, payload, flush) : ValueTask.CompletedTask)
            : SendAfterCreditAsync(credit, agentEvent, payload);
    }

    private async ValueTask SendAfterCreditAsync(ValueTask<bool> credit, AgentEvent agentEvent, ReadOnlyMemory<byte> payload)
    {
        // The credit may only come back once the silo has read a frame still in the buffer: send those first. A frame
        // that had to wait is always flushed (another sender of this request may be waiting too).
        await connection.FlushAsync().ConfigureAwait(false);
        if (await credit.ConfigureAwait(false) && !_ended)
        {
            await connection.SendAsync(agentEvent with { Id = requestId }, payload).ConfigureAwait(false);
        }
    }
}
