using System.CommandLine;
using ImageSpace.Farm;

namespace ImageSpace.Cli.Commands;

/// <summary>`farm serve` (the coordinator) and `farm worker` (a headless worker), on Hangfire + PostgreSQL.</summary>
public static class FarmCommand
{
    public static Command Create()
    {
        var cmd = new Command("farm", "Distributed processing: a coordinator and headless workers sharing a PostgreSQL job queue.");
        cmd.Subcommands.Add(Serve());
        cmd.Subcommands.Add(Worker());
        return cmd;
    }

    private static Option<string> Db() => new("--db")
    {
        Description = "PostgreSQL connection string (Host=…;Database=…;Username=…; the password from PGPASSWORD or ~/.pgpass, not here), or 'memory' to try it in one process",
        Required = true,
    };

    private static Option<double> Invisibility() => new("--invisibility-timeout")
    {
        Description = "seconds before a dead worker's job runs elsewhere (live workers keep extending it)", DefaultValueFactory = _ => 30,
    };

    private static Option<bool> Plaintext() => new("--allow-plaintext-db")
    {
        Description = "allow a database on another machine without TLS (only on a network you trust)",
    };

    private static Command Serve()
    {
        var db = Db();
        var listen = new Option<string>("--listen") { Description = "ADDR:PORT (default 127.0.0.1:5080); every request carries the token (IMAGESPACE_TOKEN, or ~/.config/imagespace/token)", DefaultValueFactory = _ => "127.0.0.1:5080" };
        var threads = new Option<int>("--threads") { Description = "with --db memory: threads of the built-in worker (default: cores)" };
        var invisibility = Invisibility();
        var plaintext = Plaintext();
        var inputRoots = new Option<string[]>("--input-root")
        {
            Description = "a folder batches may read from (repeatable; links resolved; default: the current folder); batches naming other inputs are refused",
        };
        var outputRoots = new Option<string[]>("--output-root")
        {
            Description = "a folder batches may write into (repeatable; links resolved; default: the current folder); batches naming other outputs are refused",
        };
        var cert = new Option<string?>("--https-cert")
        {
            Description = $"serve HTTPS with this PKCS#12 certificate (.pfx); its password from {CoordinatorOptions.CertificatePasswordVariable} or --https-cert-password-file",
        };
        var certPasswordFile = new Option<string?>("--https-cert-password-file") { Description = "a file (mode 600) holding the certificate's password" };
        var plainHttp = new Option<bool>("--allow-plaintext-http") { Description = "listen beyond loopback without HTTPS (only on a network you trust)" };
        var cmd = new Command("serve", "The coordinator: accepts batches (process --farm, the UI), queues one job per image, serves the monitor page.")
        { db, listen, threads, invisibility, plaintext, inputRoots, outputRoots, cert, certPasswordFile, plainHttp };
        cmd.SetAction(pr =>
        {
            var o = new CoordinatorOptions
            {
                Db = pr.GetValue(db)!, Listen = pr.GetValue(listen)!,
                LocalThreads = pr.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount,
                Invisibility = TimeSpan.FromSeconds(pr.GetValue(invisibility)), AllowPlaintextDb = pr.GetValue(plaintext),
                // Nothing outside the folder it was started in unless told: a token holder cannot make the workers read
                // or write anywhere they can reach.
                InputRoots = pr.GetValue(inputRoots) is { Length: > 0 } ir ? ir : [Environment.CurrentDirectory],
                OutputRoots = pr.GetValue(outputRoots) is { Length: > 0 } or ? or : [Environment.CurrentDirectory],
                CertificatePath = pr.GetValue(cert), AllowPlaintextHttp = pr.GetValue(plainHttp),
            };
            try { o = o with { CertificatePassword = CertificatePassword(pr.GetValue(certPasswordFile)) }; o.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            FarmCoordinator coordinator;
            try { coordinator = FarmCoordinator.StartAsync(o).GetAwaiter().GetResult(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            catch (Exception e) when (e is IOException or Npgsql.NpgsqlException) { Console.Error.WriteLine($"error: {e.Message}"); return Program.SomeFailed; }
            // The monitor link carries the token once (then an HttpOnly cookie), as the UI's does; clients read the
            // token from IMAGESPACE_TOKEN or the token file, never from the command line.
            string link = $"?token={Uri.EscapeDataString(Hosting.TokenStore.ForServer())}";
            Console.WriteLine($"Image Space farm coordinator: {coordinator.Url}{link} (monitor), {coordinator.Url}hangfire{link} (dashboard)");
            Console.WriteLine($"Batches may read from {string.Join(", ", o.InputRoots)} and write into {string.Join(", ", o.OutputRoots)} (--input-root, --output-root).");
            if (o.Db == FarmStorage.MemoryDb) Console.WriteLine($"In-memory queue: a built-in worker runs {o.LocalThreads} thread(s); nothing survives a restart.");
            Lifetime.WaitForStop(coordinator.Stopping);
            coordinator.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return Program.Ok;
        });
        return cmd;
    }

    /// <summary>From a file only its owner can read, else the environment; never from the command line, where every
    /// local user can read it in /proc/PID/cmdline.</summary>
    private static string? CertificatePassword(string? file)
    {
        if (file is null) return Environment.GetEnvironmentVariable(CoordinatorOptions.CertificatePasswordVariable);
        if (!File.Exists(file)) throw new ArgumentException($"--https-cert-password-file '{file}': no such file");
        if ((File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
            throw new ArgumentException($"--https-cert-password-file {file}: readable by others (chmod 600 {file})");
        return File.ReadAllText(file).TrimEnd('\r', '\n');
    }

    private static Command Worker()
    {
        var db = Db();
        var threads = new Option<int>("--threads") { Description = "images at once (default 1)", DefaultValueFactory = _ => 1 };
        var memory = new Option<double>("--max-memory") { Description = "GB for images in flight (default half of the available memory)" };
        var maps = new Option<string[]>("--path-map") { Description = "FROM=TO: the coordinator's path prefix FROM is TO on this machine (repeatable)" };
        var name = new Option<string?>("--name") { Description = "name on the monitor page (default host-pid)" };
        var invisibility = Invisibility();
        var plaintext = Plaintext();
        var grace = new Option<double>("--stop-grace")
        {
            Description = "on SIGTERM / Ctrl-C: seconds images in progress may take to finish before they are handed back (default 30); no new image is taken",
            DefaultValueFactory = _ => 30,
        };
        var roots = new Option<string[]>("--root")
        {
            Description = "a folder (on this machine, after --path-map) jobs may read and write below (repeatable; links resolved); default: any",
        };
        var cmd = new Command("worker", "A headless worker: takes image jobs while it has threads and memory for them.")
        { db, threads, memory, maps, name, invisibility, plaintext, grace, roots };
        cmd.SetAction(pr =>
        {
            FarmWorker worker;
            try
            {
                worker = new FarmWorker(new WorkerOptions
                {
                    Db = pr.GetValue(db)!, Threads = pr.GetValue(threads), MaxMemoryGb = pr.GetValue(memory), PathMaps = pr.GetValue(maps) ?? [], Roots = pr.GetValue(roots) ?? [],
                    Name = pr.GetValue(name), Invisibility = TimeSpan.FromSeconds(pr.GetValue(invisibility)), AllowPlaintextDb = pr.GetValue(plaintext),
                    StopGrace = TimeSpan.FromSeconds(Math.Max(0, pr.GetValue(grace))),
                });
            }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            catch (Npgsql.NpgsqlException e) { Console.Error.WriteLine($"error: database: {e.Message}"); return Program.SomeFailed; }
            Console.WriteLine($"worker {worker.Name}: {worker.Threads} thread(s), memory budget {worker.Gate.Budget >> 20} MB, queues {string.Join(", ", worker.Queues)}");
            Lifetime.WaitForStop();
            Console.WriteLine($"worker {worker.Name}: stopping: no new image; {worker.InProgress} in progress finish within {pr.GetValue(grace):0} s or go back to the queue");
            worker.Dispose();
            return Program.Ok;
        });
        return cmd;
    }
}
