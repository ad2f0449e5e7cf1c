namespace SoulBox.Security;

/// <summary>TLS with certificates on the Orleans ports: between silos, and between clients and a silo's gateway port
/// (configuration section "SoulBox:Tls" on a silo, "SoulBox:Client:Tls" on a client). Without it anyone who reaches
/// those ports can call any grain, whatever the HTTP gateway checks. A silo with a certificate requires a certificate
/// from every peer (silo or client) and accepts only those issued by <see cref="CaCertificatePath"/> or listed in
/// <see cref="AllowedThumbprints"/>; host names are not checked (silos are addressed by IP), the issuer or the pin is.</summary>
public sealed class ClusterTlsOptions
{
    /// <summary>This process's certificate with its private key: PKCS#12 (.pfx/.p12) or PEM (certificate, then the key
    /// in the same file or in <see cref="KeyPath"/>). A silo's must allow server and client authentication (it is both
    /// to other silos). Setting it turns TLS on. Default: none (plain TCP).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/> when it is not in that file. Default: none.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of the PKCS#12 file or of an encrypted PEM key. Default: none.</summary>
    public string? Password { get; set; }

    /// <summary>CA certificate(s) (PEM, one or more, or DER) that issue the cluster's certificates: a peer must chain to
    /// one of them. Default: none.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>Thumbprints (SHA-256, 64 hex digits, or SHA-1, 40) of the peer certificates accepted; with a CA as well,
    /// a peer must pass both. Default: none.</summary>
    public string[] AllowedThumbprints { get; set; } = [];

    /// <summary>Longest a TLS handshake may take before the connection is dropped. Default 10 s.</summary>
    public int HandshakeTimeoutSeconds { get; set; } = 10;

    /// <summary>Whether TLS is on: a certificate is set, or (on a client without a certificate of its own) a way to
    /// check the silo's certificate.</summary>
    public bool Enabled => CertificatePath is { Length: > 0 } || CaCertificatePath is { Length: > 0 } || AllowedThumbprints.Length > 0;

    /// <summary>Problems with the settings, each naming its setting under <paramref name="section"/>.</summary>
    public IEnumerable<string> Validate(string section, bool certificateRequired)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (certificateRequired && CertificatePath is not { Length: > 0 })
        {
            yield return $"{section}:CertificatePath is required when TLS is configured: a silo needs its own certificate.";
        }

        if (CaCertificatePath is not { Length: > 0 } && AllowedThumbprints.Length == 0)
        {
            yield return $"{section}: set CaCertificatePath or AllowedThumbprints, or no peer certificate could be trusted.";
        }

        foreach (var thumbprint in AllowedThumbprints)
        {
            var hex = thumbprint.Replace(":", "", StringComparison.Ordinal);
            if (hex.Length is not (40 or 64) || !hex.All(char.IsAsciiHexDigit))
            {
                yield return $"{section}:AllowedThumbprints: '{thumbprint}' is not a SHA-256 (64 hex digits) or SHA-1 (40) thumbprint.";
            }
        }

        if (HandshakeTimeoutSeconds is < 1 or > 300) yield return $"{section}:HandshakeTimeoutSeconds must be between 1 and 300.";
    }
}
