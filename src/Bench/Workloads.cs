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
    ];

    public static LanguageWorkload Python => Languages[0];
}

/// <summary>One language's hello world: what SoulBox runs (<see cref="Code"/>) and the equivalent
/// command line for the Docker baselines (<see cref="DockerCommand"/>, with the source in $SRC).</summary>
internal sealed record LanguageWorkload(string Language, string Template, string Code, string ExpectedOutput, string[] DockerCommand);
