namespace SoulBox.Hostile.Tests;

/// <summary>A sandbox of the attacker tenant for one case. <see cref="EndAsync"/> checks what every case must
/// leave true: the sandbox (unless the case killed it) and the bystander still answer, and once the sandbox is
/// deleted no container of it is left.</summary>
internal sealed class AttackerSandbox(HostileNode node, string id, string containerId)
{
    public string Id => id;

    /// <summary>The short id of the sandbox's container (its hostname): a sandbox claimed from the warm pool runs in
    /// a container made before it existed, which carries no sandbox label.</summary>
    public string ContainerId => containerId;

    public HttpClient Http => node.Attacker;

    public static async Task<AttackerSandbox> CreateAsync(HostileNode node, string template = "python")
    {
        var id = await node.Attacker.CreateSandboxAsync(template, timeoutSeconds: 600);
        var host = await node.Attacker.CommandAsync(id, "cat /proc/sys/kernel/hostname");
        var containerId = host.Text("stdout").Trim();
        Assert.Matches("^[0-9a-f]{12}$", containerId);
        return new AttackerSandbox(node, id, containerId);
    }

    public Task<JsonElement> CommandAsync(string cmd, int timeoutMs = 10_000, long? maxOutputBytes = null) =>
        node.Attacker.CommandAsync(id, cmd, timeoutMs, maxOutputBytes);

    public Task<JsonElement> CodeAsync(string code, int timeoutMs = 10_000) => node.Attacker.CodeAsync(id, code, timeoutMs);

    /// <summary>The sandbox runs a command again (retrying briefly: a killed tree may take a moment to go).</summary>
    public async Task AssertAnswersAsync()
    {
        JsonElement last = default;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            last = await CommandAsync("echo alive", timeoutMs: 5_000);
            if (last.Text("stdout") == "alive\n")
            {
                return;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"sandbox {id} no longer answers: {last}");
    }

    public async Task EndAsync(bool expectAlive = true)
    {
        if (expectAlive)
        {
            await AssertAnswersAsync();
        }

        await node.AssertBystanderAnswersAsync();
        using var deleted = await node.Attacker.DeleteAsync($"/v1/sandboxes/{id}");
        Assert.True(deleted.IsSuccessStatusCode || deleted.StatusCode == HttpStatusCode.Conflict, $"delete: {(int)deleted.StatusCode}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string[] left;
        while ((left = [.. await node.ContainersOfSandboxAsync(id), .. await node.ContainerAsync(containerId)]).Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.True(left.Length == 0, $"container(s) of sandbox {id} left: {string.Join(", ", left)}");
    }
}
