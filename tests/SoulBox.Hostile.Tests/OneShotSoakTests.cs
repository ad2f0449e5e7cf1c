using Xunit.Abstractions;

namespace SoulBox.Hostile.Tests;

/// <summary>Minutes of one-shot runs by two tenants in every language, each leaving everything it can behind:
/// every run must see a clean executor, and the node's executor containers must stay bounded.</summary>
[Collection(HostileCollection.Name)]
[Trait("Category", "Soak")]
public sealed class OneShotSoakTests(HostileNode node, ITestOutputHelper output)
{
    private const string LeaveAndLook = """
        dirty=$(ls -A /home/sandbox/left.txt /tmp/left.txt /dev/shm/left 2>/dev/null | wc -l)
        ipc=$(($(wc -l < /proc/sysvipc/shm) + $(wc -l < /proc/sysvipc/msg) + $(wc -l < /proc/sysvipc/sem) - 3))
        sleepers=$(cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^sleep$')
        echo "dirty=$dirty ipc=$ipc sleepers=$sleepers mode=$(stat -c %a /home/sandbox)"
        echo x > /home/sandbox/left.txt; echo x > /tmp/left.txt; echo x > /dev/shm/left
        ipcmk -M 4096 >/dev/null 2>&1; ipcmk -Q >/dev/null 2>&1
        setsid sh -c 'exec sleep 600' </dev/null >/dev/null 2>&1 &
        chmod 0 /home/sandbox
        """;

    [SoakFact]
    public async Task OneShotChurn_EveryRunSeesACleanExecutor()
    {
        var deadline = DateTime.UtcNow + SoakFactAttribute.Duration;
        var runs = 0;
        var maxExecutors = 0;
        var tenants = new[] { node.Attacker, node.Other };
        while (DateTime.UtcNow < deadline)
        {
            var batch = LanguageShell.Languages.Select(async (language, i) =>
            {
                using var response = await tenants[(runs + i) % 2].PostJsonAsync("/v1/execute",
                    new { language, code = LanguageShell.Program(language, LeaveAndLook), limits = new { runTimeoutMs = 20_000 } });
                var result = await response.JsonAsync();
                var stdout = result.Text("stdout");
                Assert.True(stdout.Contains("dirty=0 ipc=0 sleepers=0 mode=755"), $"{language}: {stdout}{result.Text("stderr")}");
            }).ToArray();
            await Task.WhenAll(batch);
            runs += batch.Length;
            maxExecutors = Math.Max(maxExecutors, (await node.ContainersAsync("executor")).Length);
        }

        output.WriteLine($"{runs} one-shot runs in {SoakFactAttribute.Duration.TotalSeconds:F0} s; at most {maxExecutors} executor containers");
        await node.AssertBystanderAnswersAsync();
    }
}
