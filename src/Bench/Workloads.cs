using SoulBox.Bench.Target;

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

    /// <summary>Every language, in <see cref="SoulBox.Languages.Table"/>'s order (its C++ variants aside): the hello
    /// world and the program a batch is judged on (<see cref="SumCases"/>: read two integers, print their sum).</summary>
    public static IReadOnlyList<LanguageWorkload> Languages { get; } =
    [
        new(SoulBox.Languages.Python, Templates.Python, HelloPython, HelloOutput, ["python3", "-c", HelloPython])
        {
            Comment = "#",
            SumCode = "a, b = map(int, input().split())\nprint(a + b)\n",
        },
        new(SoulBox.Languages.JavaScript, Templates.Node, "console.log('Hello World')", HelloOutput, ["node", "-e", "console.log('Hello World')"])
        {
            SumCode = "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\nconsole.log(a + b);\n",
        },
        new(SoulBox.Languages.Go, Templates.Go,
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"Hello World\") }\n", HelloOutput,
            ["sh", "-c", "mkdir -p /tmp/b && printf '%s' \"$SRC\" > /tmp/b/main.go && cd /tmp/b && go run main.go"])
        {
            SumCode = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tvar a, b int64\n\tfmt.Scan(&a, &b)\n\tfmt.Println(a + b)\n}\n",
        },
        new(SoulBox.Languages.Java, Templates.Java,
            "public class Main { public static void main(String[] a) { System.out.println(\"Hello World\"); } }\n", HelloOutput,
            ["sh", "-c", "mkdir -p /tmp/b && printf '%s' \"$SRC\" > /tmp/b/Main.java && java /tmp/b/Main.java"])
        {
            SumCode = "import java.io.*;\n\npublic class Main {\n  public static void main(String[] x) throws IOException {\n"
                + "    String[] p = new BufferedReader(new InputStreamReader(System.in)).readLine().trim().split(\"\\\\s+\");\n"
                + "    System.out.println(Long.parseLong(p[0]) + Long.parseLong(p[1]));\n  }\n}\n",
        },
        // Bash runs in every template; its row uses the python image.
        new(SoulBox.Languages.Shell, Templates.Python, "echo 'Hello World'", HelloOutput, ["bash", "-c", "echo 'Hello World'"])
        {
            Comment = "#",
            SumCode = "read -r a b\necho $((a + b))\n",
        },
        // The language images (scripts/setup.sh --languages all); measured with --languages all or by name.
        Compiled(SoulBox.Languages.C, Templates.Gcc, "#include <stdio.h>\nint main(void) { puts(\"Hello World\"); return 0; }\n", "main.c", "gcc -O2 -o /tmp/b/m /tmp/b/main.c") with
        {
            SumCode = "#include <stdio.h>\n\nint main(void) {\n  long long a, b;\n  if (scanf(\"%lld %lld\", &a, &b) != 2) return 1;\n  printf(\"%lld\\n\", a + b);\n  return 0;\n}\n",
        },
        Compiled(SoulBox.Languages.Cpp, Templates.Gcc, "#include <iostream>\nint main() { std::cout << \"Hello World\\n\"; }\n", "main.cpp", "g++ -std=c++17 -O2 -o /tmp/b/m /tmp/b/main.cpp") with
        {
            SumCode = "#include <iostream>\n\nint main() {\n  long long a, b;\n  std::cin >> a >> b;\n  std::cout << a + b << '\\n';\n}\n",
        },
        Compiled(SoulBox.Languages.Fortran, Templates.Gcc, "program main\n  print '(A)', 'Hello World'\nend program main\n", "main.f90", "gfortran -O2 -o /tmp/b/m /tmp/b/main.f90") with
        {
            Comment = "!",
            SumCode = "program main\n  integer(8) :: a, b\n  read (*, *) a, b\n  print '(I0)', a + b\nend program main\n",
        },
        Compiled(SoulBox.Languages.Rust, Templates.Rust, "fn main() { println!(\"Hello World\"); }\n", "main.rs", "rustc -C opt-level=2 -o /tmp/b/m /tmp/b/main.rs") with
        {
            SumCode = "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n"
                + "    let n: Vec<i64> = s.split_whitespace().map(|t| t.parse().unwrap()).collect();\n    println!(\"{}\", n[0] + n[1]);\n}\n",
        },
        new(SoulBox.Languages.TypeScript, Templates.TypeScript, "const s: string = 'Hello World';\nconsole.log(s);\n", HelloOutput,
            ["sh", "-c", "mkdir -p /tmp/b && printf '%s' \"$SRC\" > /tmp/b/main.ts && tsc --outDir /tmp/b /tmp/b/main.ts && node /tmp/b/main.js"])
        {
            SumCode = "import * as fs from 'fs';\n\nconst [a, b]: number[] = fs.readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\nconsole.log(a + b);\n",
        },
        new(SoulBox.Languages.Ruby, Templates.Scripting, "puts 'Hello World'", HelloOutput, ["ruby", "-e", "puts 'Hello World'"])
        {
            Comment = "#",
            SumCode = "a, b = $stdin.read.split.map(&:to_i)\nputs a + b\n",
        },
        new(SoulBox.Languages.Php, Templates.Scripting, "<?php echo \"Hello World\\n\";", HelloOutput, ["php", "-r", "echo \"Hello World\\n\";"])
        {
            Comment = "#",
            SumCode = "<?php\nfscanf(STDIN, \"%d %d\", $a, $b);\necho $a + $b, \"\\n\";\n",
        },
        new(SoulBox.Languages.Lua, Templates.Scripting, "print('Hello World')", HelloOutput, ["lua5.4", "-e", "print('Hello World')"])
        {
            Comment = "--",
            SumCode = "local a, b = io.read(\"n\", \"n\")\nprint(a + b)\n",
        },
        new(SoulBox.Languages.Perl, Templates.Scripting, "print \"Hello World\\n\";", HelloOutput, ["perl", "-e", "print \"Hello World\\n\";"])
        {
            Comment = "#",
            SumCode = "my ($x, $y) = split ' ', <STDIN>;\nprint $x + $y, \"\\n\";\n",
        },
        Compiled(SoulBox.Languages.Pascal, Templates.Pascal, "program main;\nbegin\n  WriteLn('Hello World');\nend.\n", "main.pas", "fpc -O2 -l- -v0ew -o/tmp/b/m /tmp/b/main.pas") with
        {
            SumCode = "program main;\nvar\n  a, b: Int64;\nbegin\n  ReadLn(a, b);\n  WriteLn(a + b);\nend.\n",
        },
        Compiled(SoulBox.Languages.OCaml, Templates.OCaml, "let () = print_endline \"Hello World\"\n", "main.ml", "ocamlopt -o /tmp/b/m /tmp/b/main.ml") with
        {
            Comment = "(*",
            CommentEnd = " *)",
            SumCode = "let () = Scanf.scanf \" %d %d\" (fun a b -> Printf.printf \"%d\\n\" (a + b))\n",
        },
        Compiled(SoulBox.Languages.Haskell, Templates.Haskell, "main :: IO ()\nmain = putStrLn \"Hello World\"\n", "main.hs", "ghc -O2 -v0 -outputdir /tmp/b/o -o /tmp/b/m /tmp/b/main.hs") with
        {
            Comment = "--",
            SumCode = "main :: IO ()\nmain = do\n  [a, b] <- map read . words <$> getContents\n  print (a + b :: Integer)\n",
        },
        new(SoulBox.Languages.R, Templates.R, "cat('Hello World\\n')\n", HelloOutput, ["Rscript", "-e", "cat('Hello World\\n')"])
        {
            Comment = "#",
            SumCode = "x <- scan(file(\"stdin\"), what = integer(), quiet = TRUE)\ncat(x[1] + x[2], \"\\n\", sep = \"\")\n",
        },
        new(SoulBox.Languages.Scheme, Templates.Scripting, "(display \"Hello World\")\n(newline)\n", HelloOutput, ["guile", "-c", "(display \"Hello World\") (newline)"])
        {
            Comment = ";",
            SumCode = "(let* ((a (read)) (b (read)))\n  (display (+ a b))\n  (newline))\n",
        },
    ];

    /// <summary>The cases a batch runs (and the one-shot calls it is compared with, one each): two integers on a
    /// line, positive and negative, and their sum.</summary>
    public static IReadOnlyList<BenchCase> SumCases { get; } =
        [.. Enumerable.Range(0, 20).Select(i => (A: 17 * i - 150, B: 3 * i * i + 1)).Select(c => new BenchCase($"{c.A} {c.B}\n", $"{c.A + c.B}\n"))];

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

    /// <summary>The program a batch is judged on: reads two integers from standard input and prints their sum.</summary>
    public string SumCode { get; init; } = "";
}
