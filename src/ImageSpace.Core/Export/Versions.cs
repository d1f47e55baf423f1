namespace ImageSpace.Core.Export;

public static class Versions
{
    public static string Version { get; } = typeof(Versions).Assembly.GetName().Version?.ToString(3) ?? "0";
    /// <summary>The Software tag of every output.</summary>
    public static string Software { get; } = $"Image Space {Version}";
}
