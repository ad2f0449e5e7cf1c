namespace SoulBox;

/// <summary>A file or directory inside a sandbox.</summary>
[GenerateSerializer, Immutable, Alias("soulbox.SandboxFileInfo")]
public sealed record SandboxFileInfo
{
    /// <summary>The entry's name (last path segment).</summary>
    [Id(0)] public required string Name { get; init; }
    /// <summary>Absolute path inside the sandbox.</summary>
    [Id(1)] public required string Path { get; init; }
    /// <summary>Whether it is a directory.</summary>
    [Id(2)] public bool IsDirectory { get; init; }
    /// <summary>Size in bytes (0 for directories).</summary>
    [Id(3)] public long Size { get; init; }
    /// <summary>Last modification time.</summary>
    [Id(4)] public DateTimeOffset ModifiedAt { get; init; }
    /// <summary>Unix permission bits.</summary>
    [Id(5)] public int Mode { get; init; }
    /// <summary>Whether it is a symbolic link.</summary>
    [Id(6)] public bool IsSymlink { get; init; }
}
