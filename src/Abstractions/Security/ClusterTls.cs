using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SoulBox.Security;

/// <summary><see cref="ClusterTlsOptions"/> loaded and checked: this process's certificate and the rule a peer's
/// certificate must pass. Loading fails with a message that names the setting, so a node with an unreadable, expired
/// or unsuitable certificate does not start (rather than start and refuse every connection).</summary>
public sealed class ClusterTls
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection _roots;
    private readonly HashSet<string> _thumbprints;

    private ClusterTls(X509Certificate2? certificate, X509Certificate2Collection roots, HashSet<string> thumbprints, TimeSpan handshakeTimeout)
    {
        Certificate = certificate;
        _roots = roots;
        _thumbprints = thumbprints;
        HandshakeTimeout = handshakeTimeout;
    }

    /// <summary>This process's certificate, with its private key (null: a client that presents none).</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>Deadline of a TLS handshake.</summary>
    public TimeSpan HandshakeTimeout { get; }

    /// <summary>Loads the files named by <paramref name="options"/>; throws <see cref="InvalidOperationException"/> naming
    /// the setting under <paramref name="section"/> when one cannot be used. <paramref name="silo"/>: the certificate
    /// is required and must serve both ends of a TLS connection.</summary>
    public static ClusterTls Load(ClusterTlsOptions options, string section, bool silo, TimeProvider? time = null)
    {
        var problems = options.Validate(section, certificateRequired: silo).ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid SoulBox configuration: " + string.Join(" ", problems));
        }

        var now = (time ?? TimeProvider.System).GetUtcNow();
        var roots = options.CaCertificatePath is { Length: > 0 } ca ? LoadRoots(ca, $"{section}:CaCertificatePath") : [];
        var thumbprints = options.AllowedThumbprints.Select(t => t.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        X509Certificate2? certificate = null;
        if (options.CertificatePath is { Length: > 0 } path)
        {
            var setting = $"{section}:CertificatePath";
            certificate = LoadCertificate(path, options.KeyPath, options.Password, setting);
            if (!certificate.HasPrivateKey)
            {
                throw Problem(setting, path, "has no private key (give a PKCS#12 file with its key, or the PEM key in KeyPath)");
            }

            if (certificate.NotAfter.ToUniversalTime() < now.UtcDateTime || certificate.NotBefore.ToUniversalTime() > now.UtcDateTime)
            {
                throw Problem(setting, path, $"is not valid now (valid from {certificate.NotBefore:u} to {certificate.NotAfter:u})");
            }

            if (!AllowsUsage(certificate, ClientAuthOid) || (silo && !AllowsUsage(certificate, ServerAuthOid)))
            {
                throw Problem(setting, path, silo
                    ? "does not allow both server and client authentication (extended key usage); a silo's certificate must, it is both"
                    : "does not allow client authentication (extended key usage)");
            }

            if (roots.Count > 0 && !ChainsTo(certificate, roots, now, null))
            {
                throw Problem(setting, path, $"is not issued by a CA in {section}:CaCertificatePath, so its peers would refuse it");
            }
        }

        return new ClusterTls(certificate, roots, thumbprints, TimeSpan.FromSeconds(options.HandshakeTimeoutSeconds));
    }

    /// <summary>Whether a peer's certificate is one of the cluster's: issued by a configured CA (the platform's own
    /// verdict is ignored: it knows neither the cluster's CA nor which names to expect) and, when thumbprints are
    /// configured, one of them.</summary>
    public bool IsTrusted(X509Certificate2 peer, X509Chain? presented)
    {
        if (_thumbprints.Count > 0 && !_thumbprints.Contains(peer.GetCertHashString(HashAlgorithmName.SHA256)) && !_thumbprints.Contains(peer.Thumbprint))
        {
            return false;
        }

        return _roots.Count == 0 || ChainsTo(peer, _roots, DateTimeOffset.UtcNow, presented);
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots, DateTimeOffset at, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }

    private static bool AllowsUsage(X509Certificate2 certificate, string oid) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is not { } usage
        || usage.EnhancedKeyUsages.Cast<Oid>().Any(u => u.Value == oid);

    private static X509Certificate2 LoadCertificate(string path, string? keyPath, string? password, string setting)
    {
        try
        {
            if (!IsPem(path))
            {
                return X509CertificateLoader.LoadPkcs12FromFile(path, password);
            }

            return password is { Length: > 0 }
                ? X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath)
                : X509Certificate2.CreateFromPemFile(path, keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw Problem(setting, path, $"could not be read: {e.Message}", e);
        }
    }

    private static X509Certificate2Collection LoadRoots(string path, string setting)
    {
        try
        {
            var roots = new X509Certificate2Collection();
            if (IsPem(path))
            {
                roots.ImportFromPemFile(path);
            }
            else
            {
                roots.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            }

            return roots.Count > 0 ? roots : throw Problem(setting, path, "holds no certificate");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw Problem(setting, path, $"could not be read: {e.Message}", e);
        }
    }

    private static bool IsPem(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4096];
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return System.Text.Encoding.ASCII.GetString(head[..read]).Contains("-----BEGIN", StringComparison.Ordinal);
    }

    private static InvalidOperationException Problem(string setting, string path, string what, Exception? inner = null) =>
        new($"Invalid SoulBox configuration: {setting} '{path}' {what}.", inner);
}
