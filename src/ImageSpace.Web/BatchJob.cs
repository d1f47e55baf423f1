using ImageSpace.Core.Batch;
using ImageSpace.Hosting;

namespace ImageSpace.Web;

/// <summary>A batch started from the UI: runs the same <see cref="BatchRunner"/> as the CLI on a background thread and
/// keeps an event list the page follows (server-sent events).</summary>
public sealed class BatchJob
{
    public sealed record Event(int Seq, string Kind, string? File, string? Output, string? Status, string? Error, int Done, int Failed, int Total);

    private readonly List<Event> _events = [];
    private readonly CancellationTokenSource _cancel = new();
    private int _done, _failed;
    public int Total { get; private init; }
    public bool Finished { get; private set; }
    public BatchResult? Result { get; private set; }

    public static BatchJob Start(RenderPlan plan)
    {
        var job = new BatchJob { Total = plan.Images.Length };
        job.Add("start", null, null, null, null);
        var thread = new Thread(() =>
        {
            try
            {
                var runner = new BatchRunner(plan);
                job.Result = runner.Run(r =>
                {
                    if (r.Status == ItemStatus.Failed) Interlocked.Increment(ref job._failed); else Interlocked.Increment(ref job._done);
                    job.Add("file", r.Item.Input, r.Item.Output, r.Status.ToString().ToLowerInvariant(), r.Error);
                }, job._cancel.Token);
                job.Add(job.Result.Cancelled ? "cancelled" : "end", null, null, null, null);
            }
            catch (Exception e)
            {
                job.Add("end", null, null, "failed", e.Message);
            }
            finally { job.Finished = true; }
        })
        { IsBackground = true, Name = "imagespace-ui-batch" };
        thread.Start();
        return job;
    }

    /// <summary>A batch queued on a farm coordinator, followed until it is finished: the same events as a local one.
    /// Cancel deletes its images that have not started on the farm.</summary>
    public static BatchJob StartRemote(IFarmLink farm, string batchId, int total)
    {
        var job = new BatchJob { Total = total };
        job.Add("start", null, null, null, null);
        var thread = new Thread(() =>
        {
            var reported = new HashSet<string>();
            bool cancelSent = false;
            try
            {
                while (true)
                {
                    if (job._cancel.IsCancellationRequested && !cancelSent)
                    {
                        // Cancel on the farm: its queued images are deleted, those in progress finish; keep following.
                        try { farm.Cancel(batchId); cancelSent = true; } catch (HttpRequestException) { Thread.Sleep(1000); continue; }
                    }
                    FarmBatchStatus s;
                    try { s = farm.Status(batchId); }
                    catch (HttpRequestException) { Thread.Sleep(1000); continue; } // the coordinator restarts: the batch is in its database
                    foreach (var i in s.Items.Where(i => i.Status is "done" or "skipped" or "failed" && reported.Add(i.Input)))
                    {
                        if (i.Status == "failed") Interlocked.Increment(ref job._failed); else Interlocked.Increment(ref job._done);
                        job.Add("file", Path.Combine(s.InputRoot, i.Input), Path.Combine(s.OutputRoot, i.Output), i.Status, i.Error);
                    }
                    if (s.Finished) break;
                    job._cancel.Token.WaitHandle.WaitOne(500); // a Cancel goes to the farm at once
                }
                job.Add(job._cancel.IsCancellationRequested ? "cancelled" : "end", null, null, null, null);
            }
            catch (Exception e) { job.Add("end", null, null, "failed", e.Message); }
            finally { job.Finished = true; farm.Dispose(); }
        })
        { IsBackground = true, Name = "imagespace-ui-farm" };
        thread.Start();
        return job;
    }

    public void Cancel() => _cancel.Cancel();

    private void Add(string kind, string? file, string? output, string? status, string? error)
    {
        lock (_events) { _events.Add(new Event(_events.Count, kind, file, output, status, UiWords.OfNullable(error), _done, _failed, Total)); Monitor.PulseAll(_events); }
    }

    /// <summary>Events from <paramref name="from"/> on, waiting up to <paramref name="wait"/> for new ones.</summary>
    public IReadOnlyList<Event> Since(int from, TimeSpan wait)
    {
        lock (_events)
        {
            if (_events.Count <= from && !Finished) Monitor.Wait(_events, wait);
            return _events.Skip(from).ToList();
        }
    }
}
