namespace SoulBox.Grains.Compilation;

/// <summary>What a one-shot run brings to the compile cache: the cache, and the id of the image its executor runs
/// (the toolchain part of the key; a run whose image id is unknown is not cached).</summary>
internal sealed record CompileCacheScope(CompileCache Cache, string ImageId);
