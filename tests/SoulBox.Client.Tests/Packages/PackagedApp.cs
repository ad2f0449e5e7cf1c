using System.Diagnostics;
using System.Text;

namespace SoulBox.Client.Tests.Packages;

/// <summary>A console app outside this repository that uses SoulBox only through the packed NuGet packages
/// (artifacts/packages, made by scripts/test.sh): a temp directory with its own csproj, Program.cs and nuget.config
/// that adds that folder as a source beside the machine's usual feeds, as the README tells users to do.</summary>
internal sealed class PackagedApp : IDisposable
{
    /// <summary>The app: the README's example, printing what the test checks.</summary>
    private const string Program = """
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;
        using SoulBox;
        using SoulBox.Client;

        var builder = Host.CreateApplicationBuilder(args);
        builder.AddSoulBoxClient();
        using var host = builder.Build();
        await host.StartAsync();
        var soulbox = host.Services.GetRequiredService<ISoulBoxClient>();

        await using (var sandbox = await soulbox.CreateSandboxAsync(new() { Template = Templates.Python }))
        {
            await sandbox.RunCodeAsync("x = 40");
            var result = await sandbox.RunCodeAsync("x + 2");
            Console.WriteLine($"sandbox value={result.Value}");
        }

        var once = await soulbox.ExecuteAsync(new ExecuteRequest { Language = "bash", Code = "echo hello $((6 * 7))" });
        Console.WriteLine($"execute status={once.Status} stdout={once.Stdout.Trim()}");
        await host.StopAsync();
        """;

    private readonly string _packages;

    private readonly string _root;

    private PackagedApp(string root, string packages, string version)
    {
        _root = root;
        Directory = System.IO.Directory.CreateDirectory(Path.Combine(root, "app")).FullName;
        _packages = packages;
        Version = version;
    }

    /// <summary>The app's project directory (its packages folders sit beside it, outside its compile globs).</summary>
    public string Directory { get; }

    /// <summary>The SoulBox.Client version it references (the one in artifacts/packages).</summary>
    public string Version { get; }

    /// <summary>Writes the app for the newest SoulBox.Client in <paramref name="packages"/>.</summary>
    public static PackagedApp Create(string packages)
    {
        var client = System.IO.Directory.Exists(packages)
            ? System.IO.Directory.GetFiles(packages, "SoulBox.Client.*.nupkg").Where(f => !f.EndsWith(".snupkg", StringComparison.Ordinal)).Order().LastOrDefault()
            : null;
        if (client is null || System.IO.Directory.GetFiles(packages, "SoulBox.Abstractions.*.nupkg").Length == 0)
        {
            throw new InvalidOperationException($"No SoulBox.Client / SoulBox.Abstractions package in {packages}: run scripts/test.sh, " +
                "or dotnet pack src/Abstractions and src/Client (-c Release) first.");
        }

        var version = Path.GetFileNameWithoutExtension(client)["SoulBox.Client.".Length..];
        var root = System.IO.Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"soulbox-consumer-{Guid.NewGuid():N}")).FullName;
        var app = new PackagedApp(root, packages, version);
        app.Write();
        return app;
    }

    /// <summary>dotnet run with <paramref name="environment"/>; returns exit code and the combined output.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "run", "-c", "Release", "--nologo" })
        {
            info.ArgumentList.Add(arg);
        }

        // The test host runs under dotnet test, whose MSBuild variables would steer the app's build; a user's shell has none.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet run of the packaged app did not end within {timeout}; output so far:\n{output}");
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, output.ToString());
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private void Write()
    {
        File.WriteAllText(Path.Combine(Directory, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SoulBox.Client" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(Directory, "Program.cs"), Program);
        // Its own packages folder: a package rebuilt under the same version is read afresh, never from a cache of an
        // earlier build. The fallback folder holds the user's packages except SoulBox's (which a user who followed the
        // README may have cached), so Orleans and the rest come from disk, not the network.
        File.WriteAllText(Path.Combine(Directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(_root, "packages")}" />
              </config>
              <packageSources>
                <add key="soulbox-local" value="{_packages}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="user" value="{LinkUserPackages()}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        // Stop MSBuild's search for Directory.*.props in the temp directory's parents.
        File.WriteAllText(Path.Combine(Directory, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(Directory, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(Directory, "Directory.Packages.props"), "<Project />\n");
    }

    /// <summary>A folder of links to each package in the user's NuGet folder but SoulBox's own.</summary>
    private string LinkUserPackages()
    {
        var user = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var links = System.IO.Directory.CreateDirectory(Path.Combine(_root, "user-packages")).FullName;
        if (System.IO.Directory.Exists(user))
        {
            foreach (var package in System.IO.Directory.GetDirectories(user).Where(d => !Path.GetFileName(d).StartsWith("soulbox.", StringComparison.OrdinalIgnoreCase)))
            {
                System.IO.Directory.CreateSymbolicLink(Path.Combine(links, Path.GetFileName(package)), package);
            }
        }

        return links;
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
