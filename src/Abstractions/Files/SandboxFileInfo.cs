namespace SoulBox;

[GenerateSerializer, Immutable, Alias("soulbox.SandboxFileInfo")]
public sealed record SandboxFileInfo
{
    [Id(0)] public required string Name { get; init; }
    /// <summary>Absolute path inside the sandbox.</summary>
    [Id(1)] public required string Path { get; init; }
    [Id(2)] public bool IsDirectory { get; init; }
    [Id(3)] public long Size { get; init; }
    [Id(4)] public DateTimeOffset ModifiedAt { get; init; }
    /// <summary>Unix permission bits.</summary>
    [Id(5)] public int Mode { get; init; }
    [Id(6)] public bool IsSymlink { get; init; }
}
