using Google.Protobuf;

namespace SoulBox.Silo.E2b.Envd.Connect;

/// <summary>The proto3 JSON reader and writer every envd call shares (both are immutable and thread-safe, so they
/// are made once). The parser accepts camelCase and the .proto's snake_case names, enums by name or number and
/// int64 as string or number, and skips fields a newer SDK may send; the formatter writes what E2B's envd writes
/// (camelCase, enums by name, bytes as base64, int64 as strings, default values left out).</summary>
internal static class ConnectJson
{
    public static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);
}
