namespace SoulBox.Bench;

/// <summary>The programs every system under test runs: the same source text goes to SoulBox, to
/// <c>docker run --rm</c> and to Docker exec, so the figures compare transports, not programs.</summary>
internal static class Workloads
{
    public const string HelloPython = "print('Hello World')";
    public const string HelloOutput = "Hello World";

    /// <summary>Recursive fibonacci(10), printed (the published throughput workload).</summary>
    public const string FibPython = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nprint(fib(10))";
    public const string FibOutput = "55";

    public static IReadOnlyList<LanguageWorkload> Languages { get; } =
    [
        new(SoulBox.Languages.Python, Templates.Python, HelloPython, HelloOutput,
            ["python3", "-c", HelloPython]),
        new(SoulBox.Languages.JavaScript, Templates.Node, "console.log('Hello World')", HelloOutput,
            ["node", "-e", "console.log('Hello World')"]),
        new(SoulBox.Languages.Go, Templates.Go,
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"Hello World\") }\n", HelloOutput,
            ["sh", "-c", "mkdir -p /tmp/b && printf '%s' \"$SRC\" > /tmp/b/main.go && cd /tmp/b && go run main.go"]),
        new(SoulBox.Languages.Java, Templates.Java,
            "public class Main { public static void main(String[] a) { System.out.println(\"Hello World\"); } }\n", HelloOutput,
            ["sh", "-c", "mkdir -p /tmp/b && printf '%s' \"$SRC\" > /tmp/b/Main.java && java /tmp/b/Main.java"]),
        // The language images (scripts/setup.sh --languages all); measured with --languages all or by name.
        Compiled(SoulBox.Languages.C, Templates.Gcc, "#include <stdio.h>\nint main(void) { puts(\"Hello World\"); return 0; }\n", "main.c", "gcc -O2 -o /tmp/b/m /tmp/b/main.c"),
        Compiled(SoulBox.Languages.Cpp, Templates.Gcc, "#include <iostream>\nint main() { std::cout << \"Hello World\\n\"; }\n", "main.cpp", "g++ -std=c++17 -O2 -o /tmp/b/m /tmp/b/main.cpp"),
        Compiled(SoulBox.Languages.Fortran, Templates.Gcc, "program main\n  print '(A)', 'Hello World'\nend program main\n", "main.f90", "gfortran -O2 -o /tmp/b/m /tmp/b/main.f90") with { Comment = "!" },
        Compiled(SoulBox.Languages.Rust, Templates.Rust, "fn main() { println!(\"Hello World\"); }\n", "main.rs", "rustc -C opt-level=2 -o /tmp/b/m /tmp/b/main.rs"),
        new(SoulBox.Languages.TypeScript, Templates.TypeScript, "const s: string = 'Hello World';\nconsole.log(s);\n", HelloOutput,
            ["sh", "-c", "mkdir -p /tmp/b && printf '%s' \"$SRC\" > /tmp/b/main.ts && tsc --outDir /tmp/b /tmp/b/main.ts && node /tmp/b/main.js"]),
        new(SoulBox.Languages.Ruby, Templates.Scripting, "puts 'Hello World'", HelloOutput, ["ruby", "-e", "puts 'Hello World'"]) { Comment = "#" },
        new(SoulBox.Languages.Php, Templates.Scripting, "<?php echo \"Hello World\\n\";", HelloOutput, ["php", "-r", "echo \"Hello World\\n\";"]) { Comment = "#" },
        new(SoulBox.Languages.Lua, Templates.Scripting, "print('Hello World')", HelloOutput, ["lua5.4", "-e", "print('Hello World')"]) { Comment = "--" },
        new(SoulBox.Languages.Perl, Templates.Scripting, "print \"Hello World\\n\";", HelloOutput, ["perl", "-e", "print \"Hello World\\n\";"]) { Comment = "#" },
        Compiled(SoulBox.Languages.Pascal, Templates.Pascal, "program main;\nbegin\n  WriteLn('Hello World');\nend.\n", "main.pas", "fpc -O2 -l- -v0ew -o/tmp/b/m /tmp/b/main.pas"),
        Compiled(SoulBox.Languages.OCaml, Templates.OCaml, "let () = print_endline \"Hello World\"\n", "main.ml", "ocamlopt -o /tmp/b/m /tmp/b/main.ml") with { Comment = "(*", CommentEnd = " *)" },
        Compiled(SoulBox.Languages.Haskell, Templates.Haskell, "main :: IO ()\nmain = putStrLn \"Hello World\"\n", "main.hs", "ghc -O2 -v0 -outputdir /tmp/b/o -o /tmp/b/m /tmp/b/main.hs") with { Comment = "--" },
        new(SoulBox.Languages.R, Templates.R, "cat('Hello World\\n')\n", HelloOutput, ["Rscript", "-e", "cat('Hello World\\n')"]) { Comment = "#" },
        new(SoulBox.Languages.Scheme, Templates.Scripting, "(display \"Hello World\")\n(newline)\n", HelloOutput, ["guile", "-c", "(display \"Hello World\") (newline)"]) { Comment = ";" },
    ];

    /// <summary>A compiled language's row: the Docker baselines compile <paramref name="fileName"/> with
    /// <paramref name="compile"/> (writing /tmp/b/m) and run the result.</summary>
    private static LanguageWorkload Compiled(string language, string template, string code, string fileName, string compile) =>
        new(language, template, code, HelloOutput, ["sh", "-c", $"mkdir -p /tmp/b && printf '%s' \"$SRC\" > /tmp/b/{fileName} && {compile} && /tmp/b/m"]);

    public static LanguageWorkload Python => Languages[0];
}

/// <summary>One language's hello world: what SoulBox runs (<see cref="Code"/>) and the equivalent
/// command line for the Docker baselines (<see cref="DockerCommand"/>, with the source in $SRC).</summary>
internal sealed record LanguageWorkload(string Language, string Template, string Code, string ExpectedOutput, string[] DockerCommand)
{
    /// <summary>How a line comment starts (the one-shot runs append a comment with a nonce to defeat the compile cache).</summary>
    public string Comment { get; init; } = "//";

    /// <summary>What closes that comment, for languages with only block comments (OCaml's <c>*)</c>).</summary>
    public string CommentEnd { get; init; } = "";
}
