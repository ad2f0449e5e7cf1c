using System.Text.Json;
using SoulBox.Agent.Protocol;

namespace SoulBox.Grains.Execution;

/// <summary>Turns a code run's streamed rich results (<see cref="ResultEvent"/> payloads: JSON {mime: content}) into
/// <see cref="RunEvent.Result"/> events and keeps them for the run's final <see cref="CodeRunResult.Results"/>, followed
/// by the last expression's value. What is kept is bounded as the run's output is: at most
/// <see cref="AgentProtocol.MaxRunResultBytes"/> per run (the agent holds runs to that already; this does not trust it)
/// and what the tenant's <paramref name="budget"/> allows. Past either, results still stream but are no longer kept:
/// the final list is then a prefix of what streamed, never a patchwork.</summary>
internal sealed class RichResultCollector(RetainedOutputBudget.Lease? budget = null)
{
    private readonly List<RichResult> _kept = [];
    private long _keptBytes;
    private bool _full;

    /// <summary>The result as an event, or null when the payload is not a JSON object of strings (the agent passes
    /// what the kernel wrote; user code can write such lines too).</summary>
    public RunEvent? Add(byte[] payload)
    {
        if (payload.Length > AgentProtocol.MaxResultBytes)
        {
            return null;
        }

        Dictionary<string, string>? data;
        try
        {
            data = JsonSerializer.Deserialize(payload, AgentJsonContext.Default.DictionaryStringString);
        }
        catch (JsonException)
        {
            return null;
        }

        if (data is null || data.Count == 0)
        {
            return null;
        }

        var result = new RichResult { IsMainResult = false, Data = data };
        // Kept as UTF-16 strings: twice the payload's bytes.
        var cost = 2L * payload.Length;
        if (!_full && _keptBytes + payload.Length <= AgentProtocol.MaxRunResultBytes && (budget?.TryTake(cost) ?? true))
        {
            _keptBytes += payload.Length;
            _kept.Add(result);
        }
        else
        {
            _full = true;
        }

        return new RunEvent { Result = result };
    }

    /// <summary>The kept results, then the last expression's value (text/plain = <paramref name="value"/>, plus its
    /// other representations) when there is one.</summary>
    public RichResult[] Final(string? value, Dictionary<string, string>? data)
    {
        if (value is null && data is not { Count: > 0 })
        {
            return [.. _kept];
        }

        var main = new Dictionary<string, string>(data?.Count + 1 ?? 1, StringComparer.Ordinal);
        if (value is not null)
        {
            main["text/plain"] = value;
        }

        foreach (var (mime, content) in data ?? [])
        {
            main.TryAdd(mime, content);
        }

        return [.. _kept, new RichResult { IsMainResult = true, Data = main }];
    }
}
