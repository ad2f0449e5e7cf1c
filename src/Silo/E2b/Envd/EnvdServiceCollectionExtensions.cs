using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>Wiring of the gateway's envd.</summary>
internal static class EnvdServiceCollectionExtensions
{
    /// <summary>Adds <see cref="EnvdService"/> (what the E2B router calls for port 49983) and its parts, with
    /// <see cref="EnvdOptions"/> from "SoulBox:E2b:Envd", validated at start-up. Idempotent.</summary>
    public static IServiceCollection AddE2bEnvd(this IServiceCollection services)
    {
        services.AddOptions<EnvdOptions>()
            .BindConfiguration(EnvdOptions.SectionName)
            .ValidateOnStart();
        services.TryAddSingleton<IValidateOptions<EnvdOptions>, EnvdOptionsValidation>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SandboxUserNames>();
        services.TryAddSingleton<ProcessRpc>();
        services.TryAddSingleton<FilesystemRpc>();
        services.TryAddSingleton<EnvdFiles>();
        services.TryAddSingleton<EnvdService>();
        return services;
    }

    /// <summary>Fails start-up naming every bad setting.</summary>
    private sealed class EnvdOptionsValidation : IValidateOptions<EnvdOptions>
    {
        public ValidateOptionsResult Validate(string? name, EnvdOptions options) =>
            options.Validate().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
