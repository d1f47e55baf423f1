using System.Security.Cryptography;

namespace ImageSpace.Hosting;

/// <summary>The secret every request to an Image Space server carries (header X-ImageSpace-Token), on every interface,
/// loopback included: any local account can reach 127.0.0.1, so the address alone proves nothing (as Jupyter does).
/// It comes from IMAGESPACE_TOKEN when set (scripts, tests, a farm's machines), else from a file only its owner can
/// read (0600, in a 0700 folder of the user's config folder), made on first use. Never from the command line, where
/// every local user can read it in /proc/PID/cmdline.</summary>
public static class TokenStore
{
    public const string Variable = "IMAGESPACE_TOKEN";

    /// <summary>~/.config/imagespace/token (or under $XDG_CONFIG_HOME).</summary>
    public static string DefaultPath
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            string config = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config") : xdg;
            return Path.Combine(config, "imagespace", "token");
        }
    }

    /// <summary>For a server: the token, made (and stored 0600) when there is none yet.</summary>
    public static string ForServer(string? path = null) => FromEnvironment() ?? FromFile(path ?? DefaultPath);

    /// <summary>The token file's token, made when the file does not exist yet (the environment is not consulted).</summary>
    public static string FromFile(string path) => ReadFile(path) ?? Create(path);

    /// <summary>For a client (process --farm, the UI's farm link): the token, or null when this user has none.</summary>
    public static string? ForClient(string? path = null) => FromEnvironment() ?? ReadFile(path ?? DefaultPath);

    private static string? FromEnvironment() => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } t ? t.Trim() : null;

    private static string? ReadFile(string path)
    {
        if (!File.Exists(path)) return null;
        // A token others can read is no secret: refuse it rather than trust it.
        if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new UnauthorizedAccessException($"{path}: the token file must be readable by its owner only (chmod 600 {path})");
        string token = File.ReadAllText(path).Trim();
        return token.Length >= 16 ? token : throw new InvalidDataException($"{path}: not a token (delete it to make a new one)");
    }

    private static string Create(string path)
    {
        string dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string tmp = path + $".{Environment.ProcessId}.tmp";
        // Created 0600 before a byte is written, then renamed into place whole.
        using (var f = new FileStream(tmp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        using (var w = new StreamWriter(f)) w.Write(token);
        try { File.Move(tmp, path, overwrite: false); }
        catch (IOException) when (File.Exists(path)) { File.Delete(tmp); return ReadFile(path)!; } // another server made it first
        return token;
    }
}
