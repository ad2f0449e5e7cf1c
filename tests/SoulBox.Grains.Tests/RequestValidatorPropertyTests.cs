using System.Text;
using CsCheck;
using SoulBox.Agent.Protocol;
using SoulBox.Grains.Execution;
using SoulBox.Grains.Hosting;
using SoulBox.Grains.Sandboxes;

namespace SoulBox.Grains.Tests;

/// <summary>Properties of the request validators over generated hostile input (sizes around every limit, NULs,
/// multi-byte text, base64 and unknown languages): a request is either refused with a typed validation error
/// (400/413) or accepted only when every size fits, and what is accepted always fits the agent's frame.</summary>
public sealed class RequestValidatorPropertyTests
{
    // Small limits so generated input crosses them often; the same relations hold at the defaults.
    private static readonly SandboxOptions Options = new()
    {
        MaxStdinBytes = 64,
        MaxArgsBytes = 48,
        MaxExecutionFiles = 3,
        MaxExecutionFilesBytes = 80,
        MaxCodeBytes = 40,
        MaxMemoryMb = 1024,
        MaxRunTimeoutMs = 5_000,
        MaxOutputBytes = 1_000,
        DefaultMaxOutputBytes = 100,
    };

    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String[Gen.Char.AlphaNumeric, 0, 90],
        Gen.String[Gen.Char['\0', '\u00ff'], 0, 40],
        Gen.String[Gen.Char['\u0400', '\u04ff'], 0, 40],
        Gen.Const("print(1)"));

    private static readonly Gen<SourceFile> File = Gen.Select(Gen.OneOf(Gen.Const((string?)null), Gen.Const((string?)"main.py"), Gen.Const((string?)"../x.py")), Text, Gen.OneOf(Gen.Const((string?)null), Gen.Const((string?)"base64"), Gen.Const((string?)"utf8")))
        .Select((name, content, encoding) => new SourceFile { Name = name, Content = encoding == "base64" ? Convert.ToBase64String(Encoding.UTF8.GetBytes(content)) : content, Encoding = encoding });

    private static readonly Gen<ExecuteRequest> Request = Gen.Select(
            Gen.OneOf(Gen.Const("python"), Gen.Const("py"), Gen.Const("go"), Gen.Const("java"), Gen.Const("cobol"), Gen.Const("")),
            Gen.OneOf(Gen.Const((string?)null), Text.Select(t => (string?)t)),
            Gen.OneOf(Gen.Const((SourceFile[]?)null), File.Array[0, 5].Select(f => (SourceFile[]?)f)),
            Gen.OneOf(Gen.Const((string?)null), Text.Select(t => (string?)t)),
            Gen.OneOf(Gen.Const((string[]?)null), Text.Array[0, 6].Select(a => (string[]?)a)),
            Gen.Select(Gen.Int[-10, 3000].Select(m => (int?)m), Gen.Int[-5, 8000].Select(t => (int?)t), Gen.Long[-5, 2000].Select(o => (long?)o)))
        .Select((language, code, files, stdin, args, limits) => new ExecuteRequest
        {
            Language = language,
            Code = code,
            Files = files,
            Stdin = stdin,
            Args = args,
            Limits = new ExecutionLimits { MemoryMb = limits.Item1, RunTimeoutMs = limits.Item2, MaxOutputBytes = limits.Item3 },
        });

    [Fact]
    public void AOneShotRequestIsRefusedWithATypedErrorOrAcceptedOnlyWhenItFits()
    {
        var validator = new OneShotValidator(Options);
        Request.Sample(request =>
        {
            OneShotRun run;
            try
            {
                run = validator.Validate(request);
            }
            catch (RequestTooLargeException e)
            {
                // 413 names a field whose measured size really is over the limit it names.
                var measured = e.Field switch
                {
                    "stdin" => Encoding.UTF8.GetByteCount(request.Stdin!),
                    "args" => request.Args!.Sum(a => (long)Encoding.UTF8.GetByteCount(a) + 1),
                    "files" => request.Files!.Sum(f => (long)f.Content.Length),
                    "code" => Encoding.UTF8.GetByteCount(request.Code!),
                    _ => throw new InvalidOperationException($"413 for unexpected field {e.Field}"),
                };
                return measured > e.LimitBytes || e.Field == "files";
            }
            catch (SandboxValidationException e)
            {
                return e.Field is { Length: > 0 };
            }

            var stdinBytes = run.Program.Stdin?.Length ?? 0;
            var argBytes = run.Program.Args.Sum(a => (long)Encoding.UTF8.GetByteCount(a) + 1);
            return stdinBytes <= Options.MaxStdinBytes
                && argBytes <= Options.MaxArgsBytes
                && run.Program.Args.All(a => !a.Contains('\0'))
                && run.Program.Files.Count <= Options.MaxExecutionFiles
                && run.MemoryMb is >= 32 and <= 1024
                && run.Limits.RunTimeoutMs is > 0 and <= 5_000
                && run.Limits.MaxOutputBytes is > 0 and <= 1_000
                && stdinBytes + 6 * argBytes + 1024 * 1024 <= AgentProtocol.MaxFrameBytes;
        }, iter: 5_000);
    }

    [Fact]
    public void TheDefaultsThemselvesKeepStdinAndArgumentsInsideOneAgentFrame()
    {
        var defaults = new SandboxOptions();
        Assert.Empty(defaults.Validate());
        Assert.True(defaults.MaxStdinBytes + 6L * defaults.MaxArgsBytes + 1024 * 1024 <= AgentProtocol.MaxFrameBytes);
    }

    [Fact]
    public void ScalarLimitsAreAcceptedExactlyInsideTheirBounds()
    {
        var validator = new SandboxRequestValidator(Options);
        Gen.Select(Gen.Int[-100, 3000], Gen.Int[-100, 10_000], Gen.Long[-100, 3_000]).Sample((memory, timeout, output) =>
        {
            var memoryOk = memory is >= 32 and <= 1024;
            var timeoutOk = timeout is > 0 and <= 5_000;
            var outputOk = output is > 0 and <= 1_000;
            return Accepts(() => validator.MemoryMb(memory)) == memoryOk
                && Accepts(() => validator.RunTimeoutMs(timeout, 100)) == timeoutOk
                && Accepts(() => validator.MaxOutputBytes(output)) == outputOk;
        }, iter: 5_000);
    }

    [Fact]
    public void EnvironmentAndMetadataPairsWithNulsOrBadNamesAreRefused()
    {
        var validator = new SandboxRequestValidator(Options);
        Gen.Select(Text, Text).Sample((key, value) =>
        {
            var pairs = new Dictionary<string, string> { [key] = value };
            var bad = key.Length == 0 || key.Length > 256 || key.Contains('\0') || value.Contains('\0') || key.Contains('=') || char.IsAsciiDigit(key[0]);
            return Accepts(() => validator.Pairs(pairs, "env", requireEnvName: true)) == !bad;
        }, iter: 5_000);
    }

    private static bool Accepts(Action validate)
    {
        try
        {
            validate();
            return true;
        }
        catch (SandboxValidationException)
        {
            return false;
        }
    }
}
