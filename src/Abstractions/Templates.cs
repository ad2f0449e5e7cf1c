namespace SoulBox;

/// <summary>Runtime images a sandbox can be created from (images/&lt;template&gt;/Dockerfile), with what each runs and
/// the user and home its code gets. SoulBox's own templates run as user <c>sandbox</c> in /home/sandbox; the E2B-style
/// templates (<see cref="Base"/>, <see cref="CodeInterpreter"/>) as user <c>user</c> in /home/user, where programs
/// written for E2B write by absolute path.</summary>
public static class Templates
{
    /// <summary>Python 3 (images/python).</summary>
    public const string Python = "python";
    /// <summary>Node.js (images/node).</summary>
    public const string Node = "node";
    /// <summary>Go (images/go).</summary>
    public const string Go = "go";
    /// <summary>Java (images/java).</summary>
    public const string Java = "java";
    /// <summary>Python 3 and Node.js laid out like E2B's base template (images/base): user <c>user</c>, /home/user.</summary>
    public const string Base = "base";
    /// <summary><see cref="Base"/> plus numpy, pandas and matplotlib (images/code-interpreter): E2B's code interpreter.</summary>
    public const string CodeInterpreter = "code-interpreter";

    /// <summary>The GNU compilers: C, C++ and Fortran (images/gcc). Built only on request (<see cref="SetupCommand"/>).</summary>
    public const string Gcc = "gcc";
    /// <summary>Rust (images/rust, FROM images/gcc). Built only on request.</summary>
    public const string Rust = "rust";
    /// <summary>TypeScript on Node.js (images/typescript, FROM images/node). Built only on request.</summary>
    public const string TypeScript = "typescript";
    /// <summary>Small interpreters in one image: Ruby, PHP, Lua, Perl, Scheme (images/scripting). Built only on request.</summary>
    public const string Scripting = "scripting";

    /// <summary>Pascal, Free Pascal (images/pascal, FROM images/gcc). Built only on request.</summary>
    public const string Pascal = "pascal";
    /// <summary>OCaml (images/ocaml, FROM images/gcc). Built only on request.</summary>
    public const string OCaml = "ocaml";
    /// <summary>Haskell, GHC (images/haskell, FROM images/gcc; about 1.2 GB). Built only on request.</summary>
    public const string Haskell = "haskell";
    /// <summary>R (images/r). Built only on request.</summary>
    public const string R = "r";

    /// <summary>Home and default working directory of SoulBox's own templates.</summary>
    public const string SandboxHome = "/home/sandbox";
    /// <summary>The sandbox user of SoulBox's own templates.</summary>
    public const string SandboxUser = "sandbox";
    /// <summary>Home and default working directory of the E2B-style templates.</summary>
    public const string E2bHome = "/home/user";
    /// <summary>The sandbox user of the E2B-style templates.</summary>
    public const string E2bUser = "user";

    /// <summary>The templates scripts/setup.sh (and so scripts/start.sh) builds by default.</summary>
    public static IReadOnlyList<string> Core { get; } = [Python, Node, Go, Java, Base, CodeInterpreter];

    /// <summary>Templates of further languages, built only on request (<c>scripts/setup.sh --languages all</c>), so
    /// a first start stays quick: every template of <see cref="Languages.Table"/> that is not a core one.</summary>
    public static IReadOnlyList<string> Optional { get; } =
        [.. Languages.Table.Select(l => l.Template).Where(t => !Core.Contains(t)).Distinct()];

    /// <summary>Every template SoulBox builds.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Core, .. Optional];

    /// <summary>The command that builds the template's image on a worker, for messages about a missing image.</summary>
    public static string SetupCommand(string template) =>
        Optional.Contains(template) ? $"scripts/setup.sh --images {template}" : "scripts/setup.sh";

    /// <summary>The language a template's kernel runs by default.</summary>
    public static string DefaultLanguage(string template) => template switch
    {
        Node => Languages.JavaScript,
        Go => Languages.Go,
        Java => Languages.Java,
        _ => Languages.Table.FirstOrDefault(l => l.Template == template && l.Name != Languages.Shell)?.Name ?? Languages.Python,
    };

    /// <summary>The languages code can run in on a sandbox of <paramref name="template"/> (bash in every one besides).</summary>
    public static IReadOnlyList<string> LanguagesOf(string template) => template switch
    {
        _ when IsE2bStyle(template) => [Languages.Python, Languages.JavaScript],
        _ when Languages.Table.Any(l => l.Template == template && l.Name != Languages.Shell && l.Name != DefaultLanguage(template)) =>
            [.. Languages.Table.Where(l => l.Template == template && l.Name != Languages.Shell).Select(l => l.Name)],
        _ => [DefaultLanguage(template)],
    };

    /// <summary>The sandbox user's home, also the default working directory and the base of relative paths.</summary>
    public static string Home(string template) => IsE2bStyle(template) ? E2bHome : SandboxHome;

    /// <summary>The sandbox user's name (whoami, USER).</summary>
    public static string User(string template) => IsE2bStyle(template) ? E2bUser : SandboxUser;

    private static bool IsE2bStyle(string template) => template is Base or CodeInterpreter;

    /// <summary>Whether code in <paramref name="language"/> can run in a sandbox of <paramref name="template"/>.</summary>
    public static bool Supports(string template, string language) =>
        language == Languages.Shell || LanguagesOf(template).Contains(language);
}
