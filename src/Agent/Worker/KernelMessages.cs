using System.Text.Json;
using System.Text.Json.Serialization;

namespace SoulBox.Agent.Worker;

// Agent ↔ kernel messages (one JSON line each way per run); see kernels/python_kernel.py.

/// <summary>Turn numbers the run; the kernel repeats it in both end-of-run markers (see Kernel.cs).</summary>
internal sealed record KernelRequest(string Code, Dictionary<string, string>? Env, long Turn = 0);

internal sealed record KernelReply(bool Ready, string? Value, KernelError? Error, Dictionary<string, string>? Data = null);

internal sealed record KernelError(string Name, string Value, string Traceback);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KernelRequest))]
[JsonSerializable(typeof(KernelReply))]
internal sealed partial class KernelJsonContext : JsonSerializerContext;
