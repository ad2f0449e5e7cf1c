namespace SoulBox.Grains.Sandboxes;

// Background processes (start, attach, stdin, signal, list). Placeholder until the implementation lands.
internal sealed partial class SandboxGrain
{
    public IAsyncEnumerable<ProcessEvent> StartProcessAsync(ProcessStartRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Background processes are not implemented yet.");

    public IAsyncEnumerable<ProcessEvent> AttachProcessAsync(int pid, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Background processes are not implemented yet.");

    public Task SendProcessInputAsync(int pid, byte[] data, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Background processes are not implemented yet.");

    public Task CloseProcessInputAsync(int pid, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Background processes are not implemented yet.");

    public Task SignalProcessAsync(int pid, int signal, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Background processes are not implemented yet.");

    public Task<ProcessInfo[]> ListProcessesAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Background processes are not implemented yet.");
}
