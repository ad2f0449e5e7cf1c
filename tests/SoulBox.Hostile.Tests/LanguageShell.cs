using System.Text.Encodings.Web;

namespace SoulBox.Hostile.Tests;

/// <summary>A program in each one-shot language that runs a shell script through that language's own process
/// API and passes its output through: the attack then runs in that language's executor.</summary>
internal static class LanguageShell
{
    public static readonly string[] Languages = ["python", "javascript", "go", "java"];

    private static readonly JsonSerializerOptions Literal = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Program(string language, string script)
    {
        // A JSON string is a valid string literal in all four languages (no \u escapes: Java would expand them early).
        var s = JsonSerializer.Serialize(script, Literal);
        return language switch
        {
            "python" => $"import subprocess, sys\nsys.stdout.flush()\nsubprocess.run(['sh', '-c', {s}])\n",
            "javascript" => $"require('child_process').execFileSync('sh', ['-c', {s}], {{ stdio: 'inherit' }});\n",
            "go" => $$"""
                package main

                import (
                	"os"
                	"os/exec"
                )

                func main() {
                	c := exec.Command("sh", "-c", {{s}})
                	c.Stdout = os.Stdout
                	c.Stderr = os.Stderr
                	c.Run()
                }

                """,
            "java" => $$"""
                public class Main {
                    public static void main(String[] args) throws Exception {
                        new ProcessBuilder("sh", "-c", {{s}}).inheritIO().start().waitFor();
                    }
                }

                """,
            _ => throw new ArgumentOutOfRangeException(nameof(language), language, null),
        };
    }
}
