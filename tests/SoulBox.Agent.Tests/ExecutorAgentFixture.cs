namespace SoulBox.Agent.Tests;

/// <summary>An agent started as a one-shot executor: runs are killed with soulbox-exec killuser.</summary>
public sealed class ExecutorAgentFixture : AgentFixture
{
    protected override bool Executor => true;
}
