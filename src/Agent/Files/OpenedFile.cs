using Microsoft.Win32.SafeHandles;

namespace SoulBox.Agent.Files;

/// <summary>A regular file opened by <see cref="SandboxFileSystem"/>; its content is read or written
/// through <see cref="Handle"/> (no identity needed for that) and the caller disposes it.</summary>
internal sealed record OpenedFile(SafeFileHandle Handle, SandboxPath Path);
