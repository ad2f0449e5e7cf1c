namespace SoulBox.Silo.E2b.Envd.Connect;

/// <summary>A call that ends with a Connect error: <see cref="Code"/> is one of <see cref="ConnectCodes"/>.</summary>
internal sealed class ConnectException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
