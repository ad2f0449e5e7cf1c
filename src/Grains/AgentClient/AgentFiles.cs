using SoulBox.Agent.Protocol;

namespace SoulBox.Grains.AgentClient;

internal static class AgentFiles
{
    /// <summary>Writes content in chunks the frame size allows: the first truncates unless
    /// <paramref name="append"/>, the rest append. Returns the file's stat after the last chunk.</summary>
    public static async Task<AgentFileEntry> WriteAsync(AgentConnection agent, string path, ReadOnlyMemory<byte> content, bool append, CancellationToken cancellationToken)
    {
        var offset = 0;
        AgentFileEntry? entry = null;
        do
        {
            var length = Math.Min(AgentProtocol.MaxPayloadChunkBytes, content.Length - offset);
            var answer = await agent.RequestAsync(new WriteFileRequest(path, Append: append || offset > 0), cancellationToken, content.Slice(offset, length)).ConfigureAwait(false);
            entry = (answer as FileStatEvent)?.Entry;
            offset += length;
        }
        while (offset < content.Length);

        return entry ?? throw new AgentConnectionLostException("the agent answered a file write without its stat");
    }
}
