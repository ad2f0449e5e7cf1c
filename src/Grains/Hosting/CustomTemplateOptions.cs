namespace SoulBox.Grains.Hosting;

/// <summary>One template an operator registers (configuration "SoulBox:Templates:&lt;name&gt;"): the image its sandboxes
/// start from and what runs in it. The agent is bind-mounted as in SoulBox's own templates, so the image needs only
/// a glibc the agent runs on (2.34 or newer: Debian bookworm, Ubuntu 22.04) and the language's interpreter or
/// toolchain on PATH (python3 for python, node for javascript, go, java).</summary>
public sealed class CustomTemplateOptions
{
    /// <summary>Image reference, any tag (soulbox/datasci:latest, registry.example/ml:1.2). Default
    /// "&lt;SoulBox:Docker:ImagePrefix&gt;&lt;name&gt;:latest", what <c>scripts/setup.sh --images &lt;name&gt;</c> builds
    /// from images/&lt;name&gt;/Dockerfile.</summary>
    public string? Image { get; set; }

    /// <summary>The language a run uses when it names none (and the kernel the warm pool starts): python, javascript,
    /// go, java or bash. Required.</summary>
    public string? Language { get; set; }

    /// <summary>Every language code can run in (bash in every template besides). Default: <see cref="Language"/> alone.</summary>
    public string[] Languages { get; set; } = [];

    /// <summary>The sandbox user's name (whoami, USER). Default "sandbox".</summary>
    public string User { get; set; } = Templates.SandboxUser;

    /// <summary>The sandbox user's home: a writable tmpfs, the default working directory. Default "/home/sandbox".</summary>
    public string Home { get; set; } = Templates.SandboxHome;

    /// <summary>Memory limit of a sandbox when the caller gives none. Default: SoulBox:Sandbox:DefaultMemoryMb.</summary>
    public int? MemoryMb { get; set; }

    /// <summary>CPU cores of a sandbox when the caller gives none. Default: SoulBox:Sandbox:DefaultCpu.</summary>
    public double? Cpu { get; set; }

    /// <summary>Lifetime of a sandbox when the caller gives none. Default: SoulBox:Sandbox:DefaultTimeoutSeconds.</summary>
    public int? TimeoutSeconds { get; set; }

    /// <summary>Warm containers the pool keeps with no demand. Default 0: the pool warms the template only once
    /// sandboxes of it are being created (SoulBox:Pool:MinWarmPerTemplate applies to the built-in templates).</summary>
    public int MinWarm { get; set; }

    /// <summary>Toolchain version shown in /v1/templates. Default: the image's soulbox.version label, else empty.</summary>
    public string? Version { get; set; }
}
