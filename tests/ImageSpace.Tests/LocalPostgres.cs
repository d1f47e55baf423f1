using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ImageSpace.Tests;

/// <summary>A throwaway PostgreSQL cluster on a loopback port (initdb into a temporary folder, pg_ctl start, password
/// authentication), for trying the farm on one machine, the tests and the bench. Stopped and deleted on Dispose.
/// Needs Debian's `postgresql` package; as root it runs the server as the `postgres` user (PostgreSQL refuses root).</summary>
public sealed class LocalPostgres : IDisposable
{
    public string ConnectionString { get; }
    public int Port { get; }
    private readonly string _dir, _bin;
    private readonly bool _asPostgresUser;

    /// <summary>The newest installed server's bin folder, or null when PostgreSQL is not installed.</summary>
    public static string? FindBin() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderByDescending(b => b, StringComparer.Ordinal).FirstOrDefault()
            : null;

    public LocalPostgres(string database = "imagespace")
    {
        _bin = FindBin() ?? throw new InvalidOperationException("PostgreSQL is not installed (apt postgresql)");
        _asPostgresUser = Environment.UserName == "root";
        _dir = Directory.CreateTempSubdirectory("imagespace-pg-").FullName;
        Port = FreePort();
        string password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        File.WriteAllText(Path.Combine(_dir, "pw"), password);
        if (_asPostgresUser) Run("chown", "-R", "postgres:postgres", _dir);
        Pg("initdb", "-D", Data, "-U", "imagespace", "--pwfile", Path.Combine(_dir, "pw"), "--auth=scram-sha-256", "-E", "UTF8", "--no-sync");
        Start();
        var admin = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "imagespace", Password = password, Database = "postgres", Pooling = false };
        using (var c = new NpgsqlConnection(admin.ConnectionString))
        {
            c.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {database}", c);
            cmd.ExecuteNonQuery();
        }
        admin.Database = database;
        admin.Pooling = true;
        ConnectionString = admin.ConnectionString;
    }

    private string Data => Path.Combine(_dir, "data");

    public void Start() => Pg("pg_ctl", "-D", Data, "-l", Path.Combine(_dir, "log"), "-w", "-t", "60", "-o",
        $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={_dir} -c fsync=off -c max_connections=200", "start");

    private void Pg(string tool, params string[] args)
    {
        string exe = Path.Combine(_bin, tool);
        if (_asPostgresUser) Run("runuser", ["-u", "postgres", "--", exe, .. args]);
        else Run(exe, args);
    }

    private static void Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(exe)} {string.Join(' ', args)} failed ({p.ExitCode}): {err.Result.Trim()}");
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    internal static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Stops the server for a while (an outage), then starts it again.</summary>
    public void Restart(TimeSpan down)
    {
        Stop();
        Thread.Sleep(down);
        Start();
    }

    /// <summary>Stops the server the way an administrator's restart does (clients are told, then cut off).</summary>
    public void Stop() => Pg("pg_ctl", "-D", Data, "-m", "fast", "-w", "stop");

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try { Pg("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop"); } catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
