using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SoulBox.Client.Tests;

/// <summary>A throw-away certificate authority made at test time (nothing committed): a CA, certificates it issues,
/// written to a temporary directory as PKCS#12 or PEM the way an operator would give them to SoulBox.</summary>
public sealed class TestPki : IDisposable
{
    public const string Password = "test-pfx-password";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("soulbox-pki-");

    public TestPki(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        CaPemPath = Path.Combine(_directory.FullName, "ca.pem");
        File.WriteAllText(CaPemPath, Ca.ExportCertificatePem());
    }

    public X509Certificate2 Ca { get; }

    public string CaPemPath { get; }

    /// <summary>Issues a certificate (a silo's serves both ends, a client's only the client end) and writes it as
    /// PKCS#12 with <see cref="Password"/>, or as PEM with its key in the same file; returns the path.</summary>
    public string Issue(string name, bool silo, bool pem = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") };
        if (silo)
        {
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        using var issued = request.Create(Ca, DateTimeOffset.UtcNow.AddMinutes(-30), Ca.NotAfter.AddHours(-1), RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);
        var path = Path.Combine(_directory.FullName, name + (pem ? ".pem" : ".pfx"));
        if (pem)
        {
            File.WriteAllText(path, withKey.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        }
        else
        {
            File.WriteAllBytes(path, withKey.Export(X509ContentType.Pkcs12, Password));
        }

        return path;
    }

    public void Dispose()
    {
        Ca.Dispose();
        _directory.Delete(recursive: true);
    }
}
