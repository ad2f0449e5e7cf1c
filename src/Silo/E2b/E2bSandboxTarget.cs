using SoulBox.Grains;

namespace SoulBox.Silo.E2b;

/// <summary>The sandbox an E2B data-plane request (envd on 49983, the code interpreter on 49999) is for, once the
/// router has found it from the E2b-Sandbox-Id header or the host name and checked its access token.</summary>
/// <param name="User">The user from envd's <c>Authorization: Basic</c> header, if any (commands never run as root).</param>
internal sealed record E2bSandboxTarget(string SandboxId, ISandboxGrain Grain, SandboxInfo Info, string? User);
