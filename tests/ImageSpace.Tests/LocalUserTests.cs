using System.Diagnostics;
using System.Net;
using ImageSpace.Farm;
using ImageSpace.Hosting;
using ImageSpace.Web;

namespace ImageSpace.Tests;

/// <summary>Another account on the same machine cannot use a user's servers: it has no token (the token file is the
/// owner's, 0600 in a 0700 folder), and loopback alone admits nobody. Runs requests as a second local user made with
/// useradd (the tests run as root in CI).</summary>
[Collection("farm")]
public class LocalUserTests
{
    private const string User = OtherUser.Name;

    private static (int code, string output) RunAs(params string[] args)
    {
        var psi = new ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-u", User, "--" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit(30000);
        return (p.ExitCode, output);
    }

    [SkippableFact]
    public async Task Another_local_user_gets_401_from_the_ui_and_the_coordinator_and_cannot_read_the_token()
    {
        Skip.IfNot(Environment.UserName == "root" && File.Exists("/usr/sbin/useradd") && File.Exists("/usr/bin/curl"),
            "needs root, useradd and curl to act as a second local user (CI has them)");
        OtherUser.Ensure();
        using var dir = new TempDir();
        // The token file a server makes for its user: owner-only, in an owner-only folder.
        string tokenPath = Path.Combine(dir.Path, "config", "imagespace", "token");
        string made = TokenStore.FromFile(tokenPath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(tokenPath)!));
        Assert.Equal(made, TokenStore.FromFile(tokenPath)); // made once, then read
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101); // the other user may enter the temp folder…
        File.SetUnixFileMode(Path.Combine(dir.Path, "config"), (UnixFileMode)0b111_101_101);
        var (catCode, catOut) = RunAs("cat", tokenPath);
        Assert.NotEqual(0, catCode); // …but not read the token
        Assert.DoesNotContain(made, catOut);

        await using var farm = await FarmCoordinator.StartAsync(new CoordinatorOptions { Db = FarmStorage.MemoryDb, Listen = "127.0.0.1:0", LocalThreads = 1 });
        await using var ui = await UiServer.StartAsync(new UiOptions { SettingsPath = dir["ui.json"], ThumbCacheDir = dir["thumbs"] });
        string Curl(string method, string url, string? json = null)
        {
            var args = new List<string> { "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method };
            if (json is not null) args.AddRange(["-H", "Content-Type: application/json", "--data", json]);
            args.Add(url);
            return RunAs([.. args]).output.Trim();
        }
        Assert.Equal("401", Curl("POST", $"{farm.Url}api/batches", "{\"version\":1,\"output\":\"/tmp/x\",\"images\":[]}"));
        Assert.Equal("401", Curl("GET", $"{farm.Url}hangfire"));
        Assert.Equal("401", Curl("POST", $"{farm.Url}hangfire/jobs/enqueued/delete", "{}"));
        Assert.Equal("401", Curl("GET", $"{ui.BaseUrl}api/state"));
        Assert.Equal("401", Curl("POST", $"{ui.BaseUrl}api/project/save", "{\"path\":\"/tmp/imagespace-other.json\"}"));
        Assert.False(File.Exists("/tmp/imagespace-other.json"));
        // The owner, with the token, is admitted.
        using var owner = TestToken.Client();
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"{farm.Url}api/batches")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"{ui.BaseUrl}api/state")).StatusCode);
    }
}
