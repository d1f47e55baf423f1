using System.Diagnostics;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Tests;

/// <summary>Failures named by their real cause (issue 15: a file the user may not read was reported as "Input/output
/// error", a full disk by the temporary file's name).</summary>
public class ErrorCauseTests
{
    private const string User = OtherUser.Name;

    /// <summary>A folder the second local user can enter, with in/, out/ and home/ (out and home writable by it); skips
    /// where the tests cannot act as another user.</summary>
    private static TempDir ForOtherUser()
    {
        Skip.IfNot(Environment.UserName == "root" && File.Exists("/usr/sbin/useradd") && File.Exists("/usr/sbin/runuser"),
            "needs root, useradd and runuser to act as a second local user (CI has them)");
        OtherUser.Ensure();
        var dir = new TempDir();
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        foreach (var d in new[] { "in", "out", "home" }) Directory.CreateDirectory(dir[d]);
        File.SetUnixFileMode(dir["out"], (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(dir["home"], (UnixFileMode)0b111_111_111);
        return dir;
    }

    /// <summary>imagespace run as the second local user, with <paramref name="home"/> as its home: exit code and stderr.</summary>
    private static (int code, string stderr) RunAsOtherUser(string home, params string[] args)
    {
        var psi = new ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-u", User, "--", "env", $"HOME={home}", $"DOTNET_CLI_HOME={home}", "dotnet", Path.Combine(AppContext.BaseDirectory, "imagespace.dll") }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stderr.Result);
    }

    [SkippableFact]
    public void A_raw_another_user_may_not_read_is_reported_as_permission_denied()
    {
        using var dir = ForOtherUser();
        SyntheticDng.Write(dir["in/private.dng"], new SceneParameters { Width = 200, Height = 150, HasChart = false });
        File.SetUnixFileMode(dir["in/private.dng"], UnixFileMode.UserRead | UnixFileMode.UserWrite); // root's own, 0600

        var (code, stderr) = RunAsOtherUser(dir["home"], "process", dir["in/private.dng"], "-o", dir["out"], "--format", "jpg");
        Assert.Equal(1, code);
        Assert.Contains($"error: {dir["in/private.dng"]}: permission denied", stderr);
        Assert.DoesNotContain("Input/output error", stderr);
        Assert.Empty(Directory.GetFileSystemEntries(dir["out"]));
    }

    /// <summary>A group's output folder this user cannot write: one usage line naming it, before any image (it stopped
    /// the whole batch at the folder's lock file with the runtime's "Access to the path … is denied").</summary>
    [SkippableFact]
    public void A_group_output_folder_another_user_may_not_write_is_one_usage_error_naming_it()
    {
        using var dir = ForOtherUser();
        foreach (var g in new[] { "in/a", "in/b", "out/a" }) Directory.CreateDirectory(dir[g]);
        foreach (var g in new[] { "in", "in/a", "in/b" }) File.SetUnixFileMode(dir[g], (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(dir["out/a"], (UnixFileMode)0b101_101_101); // group a's folder: nobody may write it
        SyntheticDng.Write(dir["in/a/f1.dng"], new SceneParameters { Width = 200, Height = 150, HasChart = false });
        SyntheticDng.Write(dir["in/b/f2.dng"], new SceneParameters { Width = 200, Height = 150, HasChart = false, Seed = 2 });

        var (code, stderr) = RunAsOtherUser(dir["home"], "process", dir["in"], "-o", dir["out"], "--no-metadata");
        Assert.Equal(2, code);
        Assert.Equal([$"error: {dir["out/a"]}: the output folder is not writable by this user"],
            stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.Empty(Directory.GetFileSystemEntries(dir["out/a"]));
        Assert.False(Directory.Exists(dir["out/b"]));
    }

    [SkippableFact]
    public void A_full_disk_is_reported_as_no_space_left_naming_the_output()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["full"]);
        // A 16 KiB file system: a 600×400 JPEG (about 50 KB) does not fit.
        using (var mount = Process.Start(new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", dir["full"]]) { RedirectStandardError = true })!)
        {
            mount.WaitForExit();
            Skip.If(mount.ExitCode != 0, $"cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN): {mount.StandardError.ReadToEnd().Trim()}");
        }
        try
        {
            Directory.CreateDirectory(dir["in"]);
            SyntheticDng.Write(dir["in/x.dng"], new SceneParameters { Width = 600, Height = 400, HasChart = false });
            var r = Cli.Run("process", dir["in"], "-o", dir["full"], "--format", "jpg");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains($"error: {dir["in/x.dng"]}: no space left on device writing {dir["full/x.jpg"]}", r.Stderr);
            Assert.Empty(Directory.GetFileSystemEntries(dir["full"])); // no partial file, no temporary file
        }
        finally
        {
            using var umount = Process.Start("umount", [dir["full"]])!;
            umount.WaitForExit();
        }
    }
}
