using System.Text.Json;
using Hangfire;

namespace ImageSpace.Farm;

/// <summary>One image's job: the recipe and the paths relative to the batch's roots (workers map the roots to their
/// own mount points). Everything a worker needs travels in the job, so a worker reads nothing else from the
/// coordinator.</summary>
public sealed record FarmJobSpec(string BatchId, int Index, string Recipe, string InputRoot, string OutputRoot,
    string Input, string Output, string Group, string? Calibration, long? Pixels = null, string? Roll = null, double ExposureMultiplier = 1);

/// <summary>Where an item stands, as workers report it.</summary>
public sealed record ItemState
{
    public string Input { get; init; } = "";
    public string Output { get; init; } = "";
    /// <summary>queued | running | retrying | done | skipped | failed | cancelled.</summary>
    public string Status { get; init; } = "queued";
    public string? Worker { get; init; }
    public string? Error { get; init; }
    public int Attempt { get; init; }
    public double Seconds { get; init; }
    public DateTime? FinishedUtc { get; init; }
}

public sealed record BatchInfo
{
    public string Id { get; init; } = "";
    public DateTime CreatedUtc { get; init; }
    public string InputRoot { get; init; } = "";
    public string OutputRoot { get; init; } = "";
    public int Total { get; init; }
}

public sealed record BatchSummary(BatchInfo Info, int Queued, int Running, int Retrying, int Done, int Failed, int Cancelled,
    double ImagesPerMinute, IReadOnlyList<(int index, ItemState item)> Items)
{
    public bool Finished => Done + Failed + Cancelled >= Info.Total;
}

public sealed record WorkerInfo
{
    public string Name { get; init; } = "";
    public string Host { get; init; } = "";
    public int Pid { get; init; }
    public int Threads { get; init; }
    public int Busy { get; init; }
    public long BudgetMb { get; init; }
    public long FreeMemoryMb { get; init; }
    public int Done { get; init; }
    public DateTime HeartbeatUtc { get; init; }
    public string[] Queues { get; init; } = [];
}

/// <summary>Image Space's own records in the job storage: batches, their items' states and the workers' heartbeats.
/// Each item has its own hash field, so workers never overwrite each other's reports.</summary>
public static class FarmRecords
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    public const string Batches = "imagespace:batches", Workers = "imagespace:workers";
    private static string BatchKey(string id) => $"imagespace:batch:{id}";
    private static string ItemsKey(string id) => $"imagespace:batch:{id}:items";
    private static string WorkerKey(string name) => $"imagespace:worker:{name}";
    private static string JobsKey(string id) => $"imagespace:batch:{id}:jobs";

    /// <summary>The Hangfire job of each item (kept apart from the items, which workers write).</summary>
    public static Dictionary<int, string> JobIds(JobStorage s, string batch) =>
        s.GetHash(JobsKey(batch)).ToDictionary(kv => int.Parse(kv.Key), kv => kv.Value);

    /// <summary>Writes a batch's records into <paramref name="t"/> (committed with its jobs' queue entries, as one).</summary>
    public static void CreateBatch(Hangfire.Storage.IWriteOnlyTransaction t, BatchInfo info, IEnumerable<(int index, ItemState item)> items,
        IEnumerable<(int index, string jobId)> jobs)
    {
        t.SetRangeInHash(BatchKey(info.Id), [new("info", JsonSerializer.Serialize(info, Json))]);
        t.SetRangeInHash(ItemsKey(info.Id), items.Select(i => new KeyValuePair<string, string>(i.index.ToString(), JsonSerializer.Serialize(i.item, Json))));
        t.SetRangeInHash(JobsKey(info.Id), jobs.Select(j => new KeyValuePair<string, string>(j.index.ToString(), j.jobId)));
        t.AddToSet(Batches, info.Id);
    }

    public static void SetItem(JobStorage s, string batch, int index, ItemState item) =>
        s.SetHash(ItemsKey(batch), [new(index.ToString(), JsonSerializer.Serialize(item, Json))]);

    public static ItemState? GetItem(JobStorage s, string batch, int index) =>
        s.GetHash(ItemsKey(batch)).TryGetValue(index.ToString(), out var v) ? JsonSerializer.Deserialize<ItemState>(v, Json) : null;

    public static BatchSummary? Summary(JobStorage s, string id)
    {
        var h = s.GetHash(BatchKey(id));
        if (!h.TryGetValue("info", out var infoJson)) return null;
        var info = JsonSerializer.Deserialize<BatchInfo>(infoJson, Json)!;
        var items = s.GetHash(ItemsKey(id)).Select(kv => (index: int.Parse(kv.Key), item: JsonSerializer.Deserialize<ItemState>(kv.Value, Json)!))
            .OrderBy(t => t.index).ToList();
        int Count(string status) => items.Count(t => t.item.Status == status);
        var finished = items.Where(t => t.item.FinishedUtc is not null && t.item.Status is "done" or "skipped").Select(t => t.item.FinishedUtc!.Value).ToList();
        int done = Count("done") + Count("skipped"), failed = Count("failed"), cancelled = Count("cancelled");
        double perMinute = Throughput.ImagesPerMinute(finished, info.CreatedUtc, DateTime.UtcNow, done + failed + cancelled >= info.Total);
        return new BatchSummary(info, Count("queued"), Count("running"), Count("retrying"), done, failed, cancelled, perMinute, items);
    }

    public static IReadOnlyList<BatchSummary> AllBatches(JobStorage s) =>
        s.GetSet(Batches).Select(id => Summary(s, id)).OfType<BatchSummary>().OrderByDescending(b => b.Info.CreatedUtc).ToList();

    public static void Heartbeat(JobStorage s, WorkerInfo w)
    {
        s.SetHash(WorkerKey(w.Name), [new("info", JsonSerializer.Serialize(w, Json))]);
        s.AddToSet(Workers, w.Name);
    }

    /// <summary>A worker silent this long has left the farm (stopped, killed, its machine gone): it leaves the list.
    /// Between <see cref="LostAfter"/> and this it is shown as lost.</summary>
    public static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(30), ForgetAfter = TimeSpan.FromMinutes(5);

    /// <summary>The workers heard from within <see cref="ForgetAfter"/>; the records of older ones are deleted.</summary>
    public static IReadOnlyList<WorkerInfo> AllWorkers(JobStorage s)
    {
        var list = new List<WorkerInfo>();
        foreach (var n in s.GetSet(Workers))
        {
            var w = s.GetHash(WorkerKey(n)).TryGetValue("info", out var v) ? JsonSerializer.Deserialize<WorkerInfo>(v, Json) : null;
            if (w is not null && DateTime.UtcNow - w.HeartbeatUtc < ForgetAfter) { list.Add(w); continue; }
            using var c = s.GetConnection();
            using var t = c.CreateWriteTransaction();
            t.RemoveFromSet(Workers, n);
            t.RemoveHash(WorkerKey(n));
            t.Commit();
        }
        return list.OrderBy(w => w.Name).ToList();
    }
}
