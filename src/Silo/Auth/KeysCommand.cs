using System.Globalization;
using StackExchange.Redis;

namespace SoulBox.Silo.Auth;

/// <summary><c>SoulBox.Silo keys add|list|revoke|rotate|migrate</c>: an operator's tool for the API keys kept in Redis
/// (SoulBox:Redis, hash SoulBox:Auth:RedisHash), reading settings the way the node does (appsettings.json,
/// SoulBox__X environment variables, --SoulBox:X=... arguments). A new key is printed once and stored only as its
/// SHA-256; gateways see an added or revoked key within SoulBox:Auth:RedisCacheSeconds (default 5 s).</summary>
internal static class KeysCommand
{
    public const string Name = "keys";

    private const string Usage = """
        usage: SoulBox.Silo keys <command> [--SoulBox:Redis=host:port] [--SoulBox:Auth:RedisHash=name]
          add <tenant>       make a new key for the tenant and print it (shown this once only)
          list               tenant, key id and creation time of every key
          revoke <key-id>    remove a key (the id from 'list', or at least 6 of its leading digits)
          rotate <tenant>    add a new key for the tenant, print it, then revoke the tenant's older keys
          migrate            store plaintext entries of the old format (key -> tenant) hashed
        """;

    public static bool IsInvocation(string[] args) => args is [Name, ..];

    /// <summary>Runs the command with the process's settings; the exit code: 0 done, 1 failed, 2 bad usage.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var switches = args.Skip(1).Where(a => a.StartsWith('-')).ToArray();
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(switches)
            .Build();
        return await RunAsync([.. args.Skip(1).Where(a => !a.StartsWith('-'))], configuration, Console.Out, Console.Error);
    }

    public static async Task<int> RunAsync(string[] words, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var auth = AuthOptions.From(configuration);
        if (auth.Redis is not { Length: > 0 } redis)
        {
            await error.WriteLineAsync("SoulBox:Redis is not set: keys in Redis need it (configured keys live in SoulBox:Auth:Keys).");
            return 2;
        }

        if (words is not ([("add" or "rotate" or "revoke"), _] or [("list" or "migrate")]))
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
            var keys = new RedisApiKeys(connection.GetDatabase(), auth.RedisHash, TimeProvider.System);
            return await RunAsync(words, keys, output, error);
        }
        catch (Exception e) when (e is RedisException or ArgumentException)
        {
            // An ArgumentException's message ends in "(Parameter 'x')", which tells an operator nothing.
            await error.WriteLineAsync(e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message);
            return e is ArgumentException ? 2 : 1;
        }
    }

    private static async Task<int> RunAsync(string[] words, RedisApiKeys keys, TextWriter output, TextWriter error)
    {
        switch (words)
        {
            case ["add", var tenant]:
                var (key, entry) = await keys.AddAsync(tenant);
                await output.WriteLineAsync($"{key}\n(tenant {entry.Tenant}, key id {entry.Id}; this is the only time the key is shown)");
                return 0;
            case ["list"]:
                var (all, plaintext) = await keys.ListAsync();
                await output.WriteLineAsync("tenant\tkey id\tcreated");
                foreach (var k in all)
                {
                    await output.WriteLineAsync($"{k.Tenant}\t{k.Id}\t{k.Created.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}");
                }

                if (plaintext > 0)
                {
                    await error.WriteLineAsync($"{plaintext} plaintext entr{(plaintext == 1 ? "y is" : "ies are")} refused by the gateways; run 'keys migrate'.");
                }

                return 0;
            case ["revoke", var id]:
                if (await keys.RevokeAsync(id) is not { } revoked)
                {
                    await error.WriteLineAsync($"No key has id '{id}'.");
                    return 1;
                }

                await output.WriteLineAsync($"revoked key {revoked.Id} of tenant {revoked.Tenant}");
                return 0;
            case ["rotate", var tenant]:
                var rotated = await keys.RotateAsync(tenant, (newKey, newEntry) =>
                    output.WriteLineAsync($"{newKey}\n(tenant {newEntry.Tenant}, key id {newEntry.Id}; this is the only time the key is shown)"));
                foreach (var old in rotated.Revoked)
                {
                    await output.WriteLineAsync($"revoked key {old.Id} of tenant {old.Tenant}");
                }

                return 0;
            case ["migrate"]:
                var (converted, skipped) = await keys.MigrateAsync();
                await output.WriteLineAsync($"converted {converted} plaintext entr{(converted == 1 ? "y" : "ies")} to hashed entries");
                if (skipped > 0)
                {
                    await error.WriteLineAsync($"{skipped} entr{(skipped == 1 ? "y was" : "ies were")} left alone: the value is not a valid tenant or the key is shorter than 16 characters.");
                }

                return 0;
            default:
                await error.WriteLineAsync(Usage);
                return 2;
        }
    }
}
