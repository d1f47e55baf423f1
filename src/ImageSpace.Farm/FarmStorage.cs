using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Npgsql;

namespace ImageSpace.Farm;

/// <summary>The job engine's storage: PostgreSQL (a real farm) or in memory (one process, to try it out). The queue,
/// the jobs' states and Image Space's own records (batches, items, workers; Hangfire hashes and sets) all live there,
/// so a coordinator restart loses nothing.</summary>
public static class FarmStorage
{
    public const string MemoryDb = "memory";
    private const string Schema = "imagespace";

    static FarmStorage()
    {
        // Job arguments are serialised with these settings in every process (coordinator and workers alike).
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new ErrorsToStderr());
    }

    /// <summary>Hangfire's own errors, one line each on stderr (connection losses, failed jobs); nothing else. Set
    /// again after ASP.NET Core's AddHangfire, whose logger would die with the first host disposed in a process.</summary>
    public static void QuietLogging() => GlobalConfiguration.Configuration.UseLogProvider(new ErrorsToStderr());

    private sealed class ErrorsToStderr : Hangfire.Logging.ILogProvider, Hangfire.Logging.ILog
    {
        public Hangfire.Logging.ILog GetLogger(string name) => this;

        public bool Log(Hangfire.Logging.LogLevel level, Func<string>? message, Exception? exception = null)
        {
            if (level < Hangfire.Logging.LogLevel.Error) return false;
            if (message is not null) Console.Error.WriteLine($"hangfire: {message()}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}");
            return true;
        }
    }

    /// <param name="db">"memory", or an Npgsql connection string.</param>
    /// <param name="invisibility">How long a job fetched by a worker that stopped answering stays hidden before another
    /// worker takes it. Sliding: a live worker keeps extending it, so long images are never run twice (without sliding,
    /// jobs longer than the timeout are restarted again and again: see the feasibility notes).</param>
    /// <param name="allowPlaintext">allow a database beyond loopback without TLS (its password and jobs would cross
    /// the network readable and changeable)</param>
    public static JobStorage Open(string db, TimeSpan? invisibility = null, bool allowPlaintext = false)
    {
        if (db == MemoryDb) return new InMemoryStorage();
        NpgsqlConnectionStringBuilder builder;
        try { builder = new NpgsqlConnectionStringBuilder(db); }
        catch (ArgumentException e) { throw new ArgumentException($"--db: not a PostgreSQL connection string ({e.Message})"); }
        bool loopback = builder.Host is null or "" or "localhost" || builder.Host.StartsWith('/') ||
                        (System.Net.IPAddress.TryParse(builder.Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
        // Require encrypts but checks no certificate: anyone on the path can pose as the server and read the password
        // and the jobs. Only VerifyFull (certificate and host name) counts as TLS here.
        if (!loopback && !allowPlaintext && builder.SslMode is not SslMode.VerifyFull)
            throw new ArgumentException($"--db: {builder.Host} is not this machine: add 'SSL Mode=VerifyFull' to the connection string (Require does not " +
                                        "check the server's certificate), or pass --allow-plaintext-db on a network you trust");
        // The schema is created (or upgraded) under an advisory lock: a coordinator and workers starting together would
        // otherwise race on it.
        using (var c = new NpgsqlConnection(builder.ConnectionString))
        {
            c.Open();
            using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_lock(72656)", c)) lockCmd.ExecuteNonQuery();
            try { PostgreSqlObjectsInstaller.Install(c, Schema); }
            finally { using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(72656)", c); unlock.ExecuteNonQuery(); }
        }
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = Schema,
            PrepareSchemaIfNecessary = false,
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = invisibility ?? TimeSpan.FromSeconds(30),
            QueuePollInterval = TimeSpan.FromSeconds(1),
            DistributedLockTimeout = TimeSpan.FromSeconds(30),
        };
        return new PostgreSqlStorage(new PooledConnections(builder.ConnectionString), options);
    }

    /// <summary>True when <paramref name="e"/> (or what caused it) is the database going away or refusing us for now:
    /// a restart, a dropped socket, too many clients.</summary>
    public static bool IsDatabaseOutage(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is NpgsqlException { IsTransient: true } or PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" } ||
                (e is NpgsqlException && e.InnerException is IOException or System.Net.Sockets.SocketException))
                return true;
        return false;
    }

    /// <summary>Drops the idle pooled connections. After the database restarted, every one of them is a dead socket
    /// that fails its next command once; the pool does not test them when it hands them out.</summary>
    public static void DropIdleConnections() => NpgsqlConnection.ClearAllPools();

    /// <summary>Connections from Npgsql's shared pool for this connection string, which
    /// <see cref="DropIdleConnections"/> can empty (a data source's own pool cannot be cleared from outside).</summary>
    private sealed class PooledConnections(string connectionString) : IConnectionFactory
    {
        public NpgsqlConnection GetOrCreateConnection()
        {
            var c = new NpgsqlConnection(connectionString);
            try { c.Open(); }
            catch { c.Dispose(); throw; }
            return c;
        }
    }

    public static void SetHash(this JobStorage storage, string key, IEnumerable<KeyValuePair<string, string>> values)
    {
        using var c = storage.GetConnection();
        c.SetRangeInHash(key, values);
    }

    public static Dictionary<string, string> GetHash(this JobStorage storage, string key)
    {
        using var c = storage.GetConnection();
        return c.GetAllEntriesFromHash(key) ?? [];
    }

    public static void AddToSet(this JobStorage storage, string key, string value)
    {
        using var c = storage.GetConnection();
        using var t = c.CreateWriteTransaction();
        t.AddToSet(key, value);
        t.Commit();
    }

    public static HashSet<string> GetSet(this JobStorage storage, string key)
    {
        using var c = storage.GetConnection();
        return c.GetAllItemsFromSet(key);
    }
}
