using System.Globalization;

namespace ImageSpace.Core.Export;

/// <summary>Names the process that writes a temporary file: host, pid and the pid's start time (clock ticks since
/// boot, field 22 of /proc/PID/stat, proc(5)), so a recycled pid is not taken for the old writer. A sweep deletes a
/// temporary file only when its writer is provably dead: same host, and that pid is gone or started at another time.</summary>
public static class RunId
{
    public static string Current { get; } = Make(Environment.MachineName, Environment.ProcessId, StartTicks(Environment.ProcessId) ?? 0);

    /// <summary>host_pid_start, with the host's '_' and '.' (the separators) replaced.</summary>
    public static string Make(string host, int pid, long startTicks) =>
        $"{Sanitize(host)}_{pid.ToString(CultureInfo.InvariantCulture)}_{startTicks.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True when the run that wrote a file is certainly not running: it ran on this host and its process is
    /// gone (or the pid now belongs to a process started later). An id without host/pid (files from before run ids)
    /// counts as dead; a run on another host is never judged (its temporary files are its own business).</summary>
    public static bool IsDead(string runId)
    {
        var parts = runId.Split('_');
        if (parts.Length != 3 || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int pid)
                              || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out long start)) return true;
        if (parts[0] != Sanitize(Environment.MachineName)) return false;
        if (pid == Environment.ProcessId) return false;
        return StartTicks(pid) is not { } now || now != start;
    }

    /// <summary>The start time of a process in clock ticks after boot, or null when there is no such process.</summary>
    public static long? StartTicks(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], CultureInfo.InvariantCulture, out long t) ? t : null;
    }

    private static string Sanitize(string host) => host.Replace('_', '-').Replace('.', '-');
}
