using System.Net;
using Hangfire;
using ImageSpace.Core.Batch;

namespace ImageSpace.Farm;

public sealed record WorkerOptions
{
    public required string Db { get; init; }
    public int Threads { get; init; } = 1;
    /// <summary>Memory for images in flight, GB; 0 = half of what is available at start.</summary>
    public double MaxMemoryGb { get; init; }
    public IReadOnlyList<string> PathMaps { get; init; } = [];
    /// <summary>The folders this worker may read and write below, whatever a job says (links resolved); none = any.</summary>
    public IReadOnlyList<string> Roots { get; init; } = [];
    public string? Name { get; init; }
    public TimeSpan Invisibility { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);
    public bool AllowPlaintextDb { get; init; }
    /// <summary>On stop (SIGTERM): how long images in progress may take to finish; the rest are cancelled and handed
    /// back to the queue. No new image is taken once stopping.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>A headless worker: a Hangfire server taking image jobs from the queues while it has threads free (one job
/// per thread) and memory for them (a job waits at the memory gate until its image fits). Images estimated above
/// <see cref="FarmQueues.BigImageBytes"/> are queued apart and taken only by workers whose budget holds two of
/// them. Hangfire reconnects by itself after database or network outages; jobs of a worker that died are taken by
/// another after the invisibility timeout.</summary>
public sealed class FarmWorker : IDisposable
{
    /// <summary>The worker of this process (jobs find their paths, gate and storage here).</summary>
    public static FarmWorker? Current { get; private set; }

    public string Name { get; }
    public Hangfire.JobStorage Storage { get; }
    public PathMap Paths { get; }
    public MemoryGate Gate { get; }
    public int Threads { get; }
    public string[] Queues { get; }
    internal int Busy, Done;
    /// <summary>Images being processed now.</summary>
    public int InProgress => Volatile.Read(ref Busy);
    private readonly BackgroundJobServer _server;
    private readonly Timer _heartbeat;

    public FarmWorker(WorkerOptions o, Hangfire.JobStorage? storage = null)
    {
        if (o.Threads < 1 || o.Threads > 256) throw new ArgumentException($"--threads {o.Threads} is not within 1..256");
        if (o.MaxMemoryGb < 0) throw new ArgumentException("--max-memory must not be negative");
        if (Current is not null) throw new InvalidOperationException("one farm worker per process");
        Paths = new PathMap(o.PathMaps, o.Roots);
        Storage = storage ?? FarmStorage.Open(o.Db, o.Invisibility, o.AllowPlaintextDb);
        Threads = o.Threads;
        Name = o.Name ?? $"{Dns.GetHostName()}-{Environment.ProcessId}";
        Gate = new MemoryGate(o.MaxMemoryGb > 0 ? (long)(o.MaxMemoryGb * (1L << 30)) : MemoryGate.DefaultBudget());
        Queues = Gate.Budget >= 2 * FarmQueues.BigImageBytes ? [FarmQueues.Images, FarmQueues.Big] : [FarmQueues.Images];
        Current = this;
        // The jobs' recipes are not known yet: the default one's kernels (the demosaic and colour code every job runs).
        KernelWarmup.Start(new Core.Pipeline.Recipe());
        Beat(null);
        _server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            ServerName = Name, WorkerCount = Threads, Queues = Queues,
            HeartbeatInterval = TimeSpan.FromSeconds(5), ServerTimeout = TimeSpan.FromSeconds(30), ServerCheckInterval = TimeSpan.FromSeconds(10),
            SchedulePollingInterval = TimeSpan.FromSeconds(1),
            // SendStop stops fetching at once; the jobs' cancellation tokens fire StopTimeout later (an image then
            // being processed finishes, or is handed back), and Dispose waits that long plus a margin.
            StopTimeout = o.StopGrace, ShutdownTimeout = o.StopGrace + TimeSpan.FromSeconds(15),
        }, Storage);
        _heartbeat = new Timer(Beat, null, o.HeartbeatInterval, o.HeartbeatInterval);
    }

    private void Beat(object? _)
    {
        try
        {
            FarmRecords.Heartbeat(Storage, new WorkerInfo
            {
                Name = Name, Host = Dns.GetHostName(), Pid = Environment.ProcessId, Threads = Threads, Busy = Busy, Done = Done,
                BudgetMb = Gate.Budget >> 20, FreeMemoryMb = MemoryGate.DefaultBudget() * 2 >> 20, HeartbeatUtc = DateTime.UtcNow, Queues = Queues,
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The database is away: Hangfire retries its own connections; the next beat tries again.
            Console.Error.WriteLine($"warning: worker {Name}: heartbeat failed: {e.Message}");
        }
    }

    /// <summary>Stops taking images, lets those in progress finish within <see cref="WorkerOptions.StopGrace"/> (the
    /// others go back to the queue).</summary>
    public void Dispose()
    {
        _heartbeat.Dispose();
        _server.SendStop();
        _server.Dispose();
        Current = null;
    }
}

public static class FarmQueues
{
    public const string Images = "images", Big = "images_big";
    /// <summary>Images whose processing is estimated above this go to their own queue (e.g. 100 MP with denoise).</summary>
    public const long BigImageBytes = 3L << 30;
}
