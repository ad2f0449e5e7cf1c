namespace SoulBox.Agent.Protocol;

/// <summary>The receiving side of one request's credit (the silo): counts what the agent sent and the consumer has
/// not yet taken, refuses anything past the window (the agent broke the protocol: never buffer it), and says
/// when to hand credit back. Credit goes back in batches of at least half the window, so a run with little output
/// costs no extra frame at all and a download one CreditRequest per chunk.
/// <see cref="TryReceive"/> may run on the connection's read loop while one consumer calls <see cref="Consume"/>.</summary>
public sealed class CreditLedger(int window = AgentProtocol.CreditWindowBytes)
{
    private long _outstanding;
    private int _consumed;

    /// <summary>Bytes sent by the agent and not yet handed back.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Accounts for one streaming event arriving; false when it takes the agent past its window.</summary>
    public bool TryReceive(int cost) => Interlocked.Add(ref _outstanding, cost) <= window;

    /// <summary>Accounts for the consumer taking one streaming event; returns the credit to hand back now (0: wait
    /// for more before sending a CreditRequest).</summary>
    public int Consume(int cost)
    {
        _consumed += cost;
        if (_consumed < window / 2)
        {
            return 0;
        }

        var grant = _consumed;
        _consumed = 0;
        Interlocked.Add(ref _outstanding, -grant);
        return grant;
    }
}
