namespace SoulBox.Grains.Execution;

/// <summary>Checks names and paths callers send before they reach the agent, so bad input gets a
/// validation error naming the field (the agent confines paths again, as the last line).</summary>
internal static class FileNames
{
    public const int MaxPathLength = 4096;

    /// <summary>A relative file name inside a run directory: no absolute path, no "..", no NUL.</summary>
    public static string ValidateRelative(string name, string field)
    {
        var trimmed = name.Trim();
        if (trimmed.Length is 0 or > 255 || trimmed.StartsWith('/') || trimmed.Contains('\0') || trimmed.Split('/').Any(p => p is ".." or "." or ""))
        {
            throw new SandboxValidationException(field, $"File name '{name}' must be a relative path without '..', at most 255 characters.");
        }

        return trimmed;
    }

    /// <summary>A path inside the sandbox (relative ones are under the template's home; the agent resolves them).</summary>
    public static string ValidatePath(string? path, string field = "path")
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new SandboxValidationException(field, "A path is required.");
        }

        if (path.Length > MaxPathLength || path.Contains('\0'))
        {
            throw new SandboxValidationException(field, $"Path must be at most {MaxPathLength} characters and contain no NUL.");
        }

        return path;
    }
}
