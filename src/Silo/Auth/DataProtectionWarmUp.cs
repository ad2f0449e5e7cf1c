namespace SoulBox.Silo.Auth;

/// <summary>ASP.NET Core registers data protection (for cookies, antiforgery tokens, protected payloads) with a hosted
/// service that loads its key ring at start-up, creating a key and writing it under ~/.aspnet when there is none.
/// SoulBox's only credential is the API key: nothing it serves issues a cookie or protects a payload, so that work buys
/// nothing. Measured on an idle single node: ~5 MB of RSS (the XML stack, cryptography and the key ring). The services
/// stay registered: should anything ask for a protector, the key ring is loaded on that first use.</summary>
internal static class DataProtectionWarmUp
{
    public const string HostedServiceTypeName = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    public static void Remove(IServiceCollection services)
    {
        foreach (var descriptor in services.Where(IsWarmUp).ToList())
        {
            services.Remove(descriptor);
        }
    }

    public static bool IsWarmUp(ServiceDescriptor descriptor) =>
        descriptor.ServiceType == typeof(IHostedService) && !descriptor.IsKeyedService && descriptor.ImplementationType?.FullName == HostedServiceTypeName;
}
