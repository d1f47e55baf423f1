using System.Globalization;

namespace ImageSpace.Core.Export;

/// <summary>Finds imagespace-child (native/imagespace-child.c), the launcher that makes a long-lived child program
/// die with this process, SIGKILL included: start it as <c>imagespace-child ParentPid PROGRAM ARGS…</c>.</summary>
public static class ChildLauncher
{
    public const string ExecutableName = "imagespace-child";

    public static string ParentPid { get; } = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public static string Locate()
    {
        string local = Path.Combine(AppContext.BaseDirectory, ExecutableName);
        if (File.Exists(local)) return local;
        throw new FileNotFoundException($"{ExecutableName} not found next to the program ({AppContext.BaseDirectory}); it is built from native/ by the build");
    }
}
