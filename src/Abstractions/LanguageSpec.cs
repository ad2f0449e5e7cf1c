namespace SoulBox;

/// <summary>One language SoulBox runs: its names, the template (image) that holds its toolchain, how a program is
/// laid out, compiled and started, and its Piston names. Adding a language is one <see cref="LanguageSpec"/> in
/// <see cref="Languages.Table"/> plus its image under <c>images/</c>.
/// <para>Argument vectors are templates; an element that is exactly one of these placeholders is replaced:
/// <c>{entry}</c> the entry file's path, <c>{dir}</c> the run directory, <c>{name}</c> the entry file's name without
/// its extension (Java's class), <c>{stem}</c> the entry's relative path without its extension, <c>{sources}</c> every source file with the entry's extension (as paths, one
/// element each), <c>{args}</c> the program's arguments (one element each). <c>{dir}</c>, <c>{entry}</c>, <c>{name}</c> and <c>{stem}</c> are also replaced inside a longer element
/// (<c>{dir}/.soulbox-main</c>).</para></summary>
public sealed record LanguageSpec
{
    /// <summary>Canonical name (lower case), as results and <c>/v1/templates</c> report it.</summary>
    public required string Name { get; init; }
    /// <summary>Other names a request may use; matched without regard to case.</summary>
    public string[] Aliases { get; init; } = [];
    /// <summary>The template whose image holds the toolchain (<see cref="Templates"/>).</summary>
    public required string Template { get; init; }
    /// <summary>The entry file's name when the caller names none.</summary>
    public required string FileName { get; init; }
    /// <summary>The compile step, or null for an interpreted language.</summary>
    public string[]? CompileArgv { get; init; }
    /// <summary>Starts the program.</summary>
    public required string[] RunArgv { get; init; }
    /// <summary>Paths relative to the run directory the compile writes and the run needs (a file or a directory
    /// each): what the compile cache captures and puts back.</summary>
    public string[] CompileOutputs { get; init; } = [];
    /// <summary>The names Piston's <c>/api/v2/runtimes</c> lists for it (the canonical name among them), or null when
    /// it is not offered as a Piston runtime (a C++ standard variant, say).</summary>
    public string[]? PistonAliases { get; init; }
    /// <summary>The language name Piston's <c>/api/v2/runtimes</c> and <c>/api/v2/execute</c> answer with where it
    /// differs from <see cref="Name"/> (Piston's <c>c++</c>), else null.</summary>
    public string? PistonName { get; init; }
    /// <summary>Piston's <c>runtime</c> field where Piston names one (<c>node</c> for JavaScript), else null.</summary>
    public string? PistonRuntime { get; init; }
    /// <summary>Runs in a persistent kernel with state kept between runs (Python, JavaScript).</summary>
    public bool Stateful { get; init; }
    /// <summary>The canonical language this one is a variant of (C++20 of C++: same toolchain, other flags), else null.</summary>
    public string? VariantOf { get; init; }

    /// <summary>Whether a compile step runs before the program.</summary>
    public bool Compiles => CompileArgv is not null;
}
