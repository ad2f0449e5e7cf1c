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
        return credit.IsCompletedSuccessfully
            ? (credit.Result ? connection.SendAsync(agentEvent with { Id = requestId }, payload, flush) : ValueTask.CompletedTask)
            : SendAfterCreditAsync(credit, agentEvent, payload, flush);
    }

    private async ValueTask SendAfterCreditAsync(ValueTask<bool> credit, AgentEvent agentEvent, ReadOnlyMemory<byte> payload, bool flush)
    {
        // The credit may only come back once the silo has read a frame still in the buffer (sent unflushed by this
        // or another request): send those first.
        await connection.FlushAsync().ConfigureAwait(false);
        if (await credit.ConfigureAwait(false) && !_ended)
        {
            await connection.SendAsync(agentEvent with { Id = requestId }, payload, flush).ConfigureAwait(false);
        }
    }
}
