using static SoulBox.Agent.Files.FsCalls;

namespace SoulBox.Agent.Files;

/// <summary>Reads the names in a directory from its fd (getdents64), as raw NUL-terminated bytes: a name that
/// is not valid UTF-8 must still reach unlinkat unchanged.</summary>
internal static class DirectoryEntries
{
    private const int BufferBytes = 32 * 1024;

    /// <summary>Every name but "." and "..", from the start of the directory (the fd must be O_RDONLY|O_DIRECTORY).</summary>
    public static List<byte[]> Read(int directoryFd)
    {
        ErrnoException.Check((int)Math.Min(Seek(directoryFd, 0, 0 /* SEEK_SET */), 0), "lseek");
        var names = new List<byte[]>();
        var buffer = new byte[BufferBytes];
        while (true)
        {
            var length = ErrnoException.Check(GetDents(directoryFd, buffer), "getdents64");
            if (length == 0)
            {
                return names;
            }

            // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            for (var offset = 0; offset < length;)
            {
                var recordLength = BitConverter.ToUInt16(buffer, offset + 16);
                var name = buffer.AsSpan(offset + 19, recordLength - 19);
                name = name[..name.IndexOf((byte)0)];
                if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8))
                {
                    var copy = new byte[name.Length + 1];
                    name.CopyTo(copy);
                    names.Add(copy);
                }

                offset += recordLength;
            }
        }
    }

    /// <summary>A raw name (NUL-terminated) as text, for listings.</summary>
    public static string ToText(byte[] nameZ) => System.Text.Encoding.UTF8.GetString(nameZ, 0, nameZ.Length - 1);
}
