namespace SoulBox;

/// <summary>Languages SoulBox runs, their aliases, and the template that holds each: one <see cref="LanguageSpec"/>
/// per language in <see cref="Table"/>.</summary>
public static class Languages
{
    /// <summary>Python 3, in a persistent kernel (state kept between runs).</summary>
    public const string Python = "python";
    /// <summary>JavaScript on Node.js, in a persistent kernel.</summary>
    public const string JavaScript = "javascript";
    /// <summary>Go, compiled then run.</summary>
    public const string Go = "go";
    /// <summary>Java, compiled then run.</summary>
    public const string Java = "java";
    /// <summary>Bash; runs in every template.</summary>
    public const string Shell = "bash";
    /// <summary>C (gcc), compiled then run.</summary>
    public const string C = "c";
    /// <summary>C++ (g++, <c>-std=c++17 -O2</c>; the variants cpp11, cpp14, cpp20 and cpp23 choose another standard).</summary>
    public const string Cpp = "cpp";
    /// <summary>Fortran (gfortran), compiled then run.</summary>
    public const string Fortran = "fortran";
    /// <summary>Rust (rustc), compiled then run.</summary>
    public const string Rust = "rust";
    /// <summary>TypeScript, compiled by tsc to JavaScript that runs on Node.js.</summary>
    public const string TypeScript = "typescript";
    /// <summary>Ruby.</summary>
    public const string Ruby = "ruby";
    /// <summary>PHP (CLI).</summary>
    public const string Php = "php";
    /// <summary>Lua 5.4.</summary>
    public const string Lua = "lua";
    /// <summary>Perl 5.</summary>
    public const string Perl = "perl";
    /// <summary>Scheme (GNU Guile).</summary>
    public const string Scheme = "scheme";
    /// <summary>Pascal (Free Pascal), compiled then run.</summary>
    public const string Pascal = "pascal";
    /// <summary>OCaml (native code by ocamlopt), compiled then run.</summary>
    public const string OCaml = "ocaml";
    /// <summary>Haskell (GHC), compiled then run.</summary>
    public const string Haskell = "haskell";
    /// <summary>R (Rscript).</summary>
    public const string R = "r";

    /// <summary>Where a compiled language's executable goes (relative to the run directory).</summary>
    private const string Binary = ".soulbox-main";

    // javac is a short-lived JVM: the image's class-data archive (images/java) and C1 only cut its start about
    // 3x here. The program itself keeps the full JIT (long runs need it) but skips the perf-data file.
    private static readonly string[] JavacFlags =
        ["-J-XX:SharedArchiveFile=/opt/soulbox-java/launcher.jsa", "-J-Xshare:auto", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData"];

    private static readonly string[] JavaFlags = ["-XX:+UseSerialGC", "-XX:-UsePerfData"];

    /// <summary>A compiled language whose compiler writes one executable (<see cref="Binary"/>) that runs as is.</summary>
    private static LanguageSpec Native(string name, string template, string fileName, string[] compileArgv, string[] aliases, string[]? pistonAliases) => new()
    {
        Name = name,
        Aliases = aliases,
        Template = template,
        FileName = fileName,
        CompileArgv = compileArgv,
        RunArgv = [$"{{dir}}/{Binary}", "{args}"],
        CompileOutputs = [Binary],
        PistonAliases = pistonAliases,
    };

    private static LanguageSpec Interpreted(string name, string template, string fileName, string[] runArgv, string[] aliases, string[] pistonAliases) => new()
    {
        Name = name,
        Aliases = aliases,
        Template = template,
        FileName = fileName,
        RunArgv = runArgv,
        PistonAliases = pistonAliases,
    };

    /// <summary>A C++ standard other than the default, as its own (variant) language: <c>cpp20</c> or <c>c++20</c>.</summary>
    private static LanguageSpec CppVariant(string standard, string flag) =>
        Native($"cpp{standard}", Templates.Gcc, "main.cpp", ["g++", $"-std={flag}", "-O2", "-pipe", "-o", $"{{dir}}/{Binary}", "{sources}"], [$"c++{standard}", $"g++{standard}"], null)
            with { VariantOf = Cpp };

    /// <summary>Every language: names, template, files, compile and run steps, Piston names.</summary>
    public static IReadOnlyList<LanguageSpec> Table { get; } =
    [
        new() { Name = Python, Aliases = ["python3", "py", "py3"], Template = Templates.Python, FileName = "main.py", RunArgv = ["python3", "{entry}", "{args}"], PistonAliases = ["py", "py3", "python3", "python"], Stateful = true },
        new() { Name = JavaScript, Aliases = ["js", "node", "nodejs", "node-js"], Template = Templates.Node, FileName = "main.js", RunArgv = ["node", "{entry}", "{args}"], PistonAliases = ["node-javascript", "node-js", "javascript", "js", "node", "nodejs"], PistonRuntime = "node", Stateful = true },
        // soulbox-go-build (images/go) seeds the build cache from the image so std is not recompiled.
        Native(Go, Templates.Go, "main.go", ["soulbox-go-build", "{entry}", $"{{dir}}/{Binary}"], ["golang"], ["go", "golang"]),
        new()
        {
            Name = Java, Template = Templates.Java, FileName = "Main.java",
            CompileArgv = ["javac", .. JavacFlags, "-d", "{dir}/.soulbox-classes", "-encoding", "UTF-8", "{sources}"],
            RunArgv = ["java", .. JavaFlags, "-cp", "{dir}/.soulbox-classes", "{name}", "{args}"],
            CompileOutputs = [".soulbox-classes"], PistonAliases = ["java"],
        },
        Interpreted(Shell, Templates.Python, "main.sh", ["bash", "{entry}", "{args}"], ["sh", "shell"], ["sh", "bash", "shell"]),
        Native(C, Templates.Gcc, "main.c", ["gcc", "-O2", "-pipe", "-o", $"{{dir}}/{Binary}", "{sources}", "-lm"], ["gcc"], ["gcc", "c"]) with { PistonRuntime = "gcc" },
        Native(Cpp, Templates.Gcc, "main.cpp", ["g++", "-std=c++17", "-O2", "-pipe", "-o", $"{{dir}}/{Binary}", "{sources}"], ["c++", "g++", "cxx"], ["cpp", "g++", "c++"]) with { PistonName = "c++", PistonRuntime = "gcc" },
        CppVariant("11", "c++11"),
        CppVariant("14", "c++14"),
        CppVariant("20", "c++20"),
        CppVariant("23", "c++23"),
        Native(Fortran, Templates.Gcc, "main.f90", ["gfortran", "-O2", "-pipe", "-o", $"{{dir}}/{Binary}", "{sources}"], ["f90", "gfortran"], ["fortran", "f90", "gfortran"]) with { PistonRuntime = "gcc" },
        Native(Rust, Templates.Rust, "main.rs", ["rustc", "--edition", "2021", "-C", "opt-level=2", "-o", $"{{dir}}/{Binary}", "{entry}"], ["rs", "rustc"], ["rust", "rs"]),
        new()
        {
            // tsc checks types (an error fails the compile) and writes JavaScript under .soulbox-js, run by Node.
            Name = TypeScript, Aliases = ["ts", "tsc"], Template = Templates.TypeScript, FileName = "main.ts",
            CompileArgv = ["tsc", "--pretty", "false", "--outDir", "{dir}/.soulbox-js", "--rootDir", "{dir}", "--target", "es2022", "--module", "commonjs",
                "--typeRoots", "/usr/share/nodejs/@types", "--types", "node", "--skipLibCheck", "--noEmitOnError", "{sources}"],
            RunArgv = ["node", "{dir}/.soulbox-js/{stem}.js", "{args}"],
            CompileOutputs = [".soulbox-js"], PistonAliases = ["typescript", "ts"],
        },
        Interpreted(Ruby, Templates.Scripting, "main.rb", ["ruby", "{entry}", "{args}"], ["rb"], ["ruby", "ruby3", "rb"]),
        Interpreted(Php, Templates.Scripting, "main.php", ["php", "{entry}", "{args}"], ["php8"], ["php"]),
        Interpreted(Lua, Templates.Scripting, "main.lua", ["lua5.4", "{entry}", "{args}"], ["lua5.4"], ["lua"]),
        Interpreted(Perl, Templates.Scripting, "main.pl", ["perl", "{entry}", "{args}"], ["pl", "perl5"], ["perl", "pl"]),
        // fpc and ocamlopt write their object files beside the source (the run directory); only the binary is kept.
        // ocamlopt gets the entry alone: it wants modules in dependency order, which a file list does not say.
        Native(Pascal, Templates.Pascal, "main.pas", ["fpc", "-O2", "-l-", "-v0ew", $"-o{{dir}}/{Binary}", "{entry}"], ["fpc", "pas", "freepascal"], ["pascal", "freepascal", "fpc", "pas"]),
        Native(OCaml, Templates.OCaml, "main.ml", ["ocamlopt", "-o", $"{{dir}}/{Binary}", "{entry}"], ["ml", "ocamlopt"], ["ocaml", "ml"]),
        // GHC's interface and object files go to their own directory of the run, not beside the sources.
        Native(Haskell, Templates.Haskell, "main.hs", ["ghc", "-O2", "-v0", "-outputdir", "{dir}/.soulbox-ghc", "-o", $"{{dir}}/{Binary}", "{sources}"], ["hs", "ghc"], ["haskell", "hs"]),
        Interpreted(R, Templates.R, "main.r", ["Rscript", "--vanilla", "{entry}", "{args}"], ["rscript"], ["r", "rscript"]),
        Interpreted(Scheme, Templates.Scripting, "main.scm", ["guile", "--no-auto-compile", "-s", "{entry}", "{args}"], ["scm", "guile"], ["scheme", "guile", "scm"]),
    ];

    private static readonly Dictionary<string, LanguageSpec> ByName = BuildNames();

    private static Dictionary<string, LanguageSpec> BuildNames()
    {
        var names = new Dictionary<string, LanguageSpec>(StringComparer.OrdinalIgnoreCase);
        foreach (var spec in Table)
        {
            foreach (var name in (string[])[spec.Name, .. spec.Aliases, .. spec.PistonAliases ?? []])
            {
                // First entry wins; a name two languages claim is a bug in the table (LanguagesTests checks).
                names.TryAdd(name, spec);
            }
        }

        return names;
    }

    /// <summary>Every canonical language name.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Table.Select(l => l.Name)];

    /// <summary>The canonical name for a language or alias, or null when it is not supported.</summary>
    public static string? Normalize(string? language) =>
        language is not null && ByName.TryGetValue(language.Trim(), out var spec) ? spec.Name : null;

    /// <summary>The table entry of a language or alias, or null when it is not supported.</summary>
    public static LanguageSpec? Find(string? language) =>
        language is not null && ByName.TryGetValue(language.Trim(), out var spec) ? spec : null;

    /// <summary>The table entry of a canonical name; throws for a name not in the table.</summary>
    public static LanguageSpec Spec(string canonical) =>
        Find(canonical) ?? throw new ArgumentException($"Unknown language '{canonical}'.", nameof(canonical));

    /// <summary>Languages that run in a persistent kernel with state kept between runs.</summary>
    public static bool IsStateful(string canonical) => Find(canonical)?.Stateful ?? false;

    /// <summary>Whether a program in the language is compiled before it runs.</summary>
    public static bool Compiles(string canonical) => Find(canonical)?.Compiles ?? false;

    /// <summary>The template whose image holds the language's toolchain (shell runs in any).</summary>
    public static string DefaultTemplate(string canonical) => Find(canonical)?.Template ?? Templates.Python;
}
