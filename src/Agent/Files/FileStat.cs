using System.Buffers.Binary;

namespace SoulBox.Agent.Files;

/// <summary>The fields of a Linux x86_64 <c>struct stat</c> the files API reports.</summary>
internal readonly record struct FileStat(ulong Device, ulong Inode, uint Mode, uint Uid, uint Gid, long Size, long ModifiedSeconds, long ModifiedNanoseconds)
{
    public const int NativeSize = 144;

    private const uint TypeMask = 0xF000;
    private const uint Directory = 0x4000;
    private const uint Regular = 0x8000;
    private const uint Symlink = 0xA000;

    public bool IsDirectory => (Mode & TypeMask) == Directory;

    public bool IsRegular => (Mode & TypeMask) == Regular;

    public bool IsSymlink => (Mode & TypeMask) == Symlink;

    /// <summary>Permission bits with setuid/setgid/sticky, as UnixFileMode has them.</summary>
    public int Permissions => (int)(Mode & 0xFFF);

    public long ModifiedUnixMs => ModifiedSeconds * 1000 + ModifiedNanoseconds / 1_000_000;

    /// <summary>What the file is, for errors about the kinds the files API refuses.</summary>
    public string Kind => (Mode & TypeMask) switch
    {
        Directory => "a directory",
        Regular => "a regular file",
        Symlink => "a symbolic link",
        0x1000 => "a FIFO",
        0xC000 => "a socket",
        0x2000 => "a character device",
        0x6000 => "a block device",
        _ => "a special file",
    };

    public static FileStat FromNative(ReadOnlySpan<byte> native) => new(
        Device: BinaryPrimitives.ReadUInt64LittleEndian(native),
        Inode: BinaryPrimitives.ReadUInt64LittleEndian(native[8..]),
        Mode: BinaryPrimitives.ReadUInt32LittleEndian(native[24..]),
        Uid: BinaryPrimitives.ReadUInt32LittleEndian(native[28..]),
        Gid: BinaryPrimitives.ReadUInt32LittleEndian(native[32..]),
        Size: BinaryPrimitives.ReadInt64LittleEndian(native[48..]),
        ModifiedSeconds: BinaryPrimitives.ReadInt64LittleEndian(native[88..]),
        ModifiedNanoseconds: BinaryPrimitives.ReadInt64LittleEndian(native[96..]));
}
