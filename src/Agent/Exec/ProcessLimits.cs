namespace SoulBox.Agent.Exec;

/// <summary>Kernel-enforced limits applied by soulbox-exec before exec; units are in the names.
/// Zero or less leaves a limit as inherited.</summary>
internal sealed record ProcessLimits(int MaxOpenFiles, long MaxFileBytes, int MaxProcesses);
