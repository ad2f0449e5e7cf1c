using Google.Protobuf.WellKnownTypes;
using SoulBox.Silo.E2b.Envd.Protos.Filesystem;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>SoulBox's file entries as envd's <c>EntryInfo</c>: mode is the permission bits (Go's
/// <c>FileMode.Perm()</c>), permissions the text Go's <c>FileMode.String()</c> gives (<c>-rw-r--r--</c>,
/// <c>drwxr-xr-x</c>, <c>Lrwxrwxrwx</c> for a link).</summary>
internal static class EntryInfos
{
    public static EntryInfo From(SandboxFileInfo file, string owner) => new()
    {
        Name = file.Name,
        Type = file.IsSymlink ? FileType.Symlink : file.IsDirectory ? FileType.Directory : FileType.File,
        Path = file.Path,
        Size = file.Size,
        Mode = (uint)(file.Mode & 0x1FF),
        Permissions = Permissions(file),
        Owner = owner,
        Group = owner,
        ModifiedTime = Timestamp.FromDateTimeOffset(file.ModifiedAt),
    };

    public static string Permissions(SandboxFileInfo file) => string.Create(10, (file.Mode, Kind: file.IsSymlink ? 'L' : file.IsDirectory ? 'd' : '-'), static (span, state) =>
    {
        span[0] = state.Kind;
        const string Letters = "rwxrwxrwx";
        for (var bit = 0; bit < 9; bit++)
        {
            span[bit + 1] = (state.Mode & (1 << (8 - bit))) != 0 ? Letters[bit] : '-';
        }
    });
}
