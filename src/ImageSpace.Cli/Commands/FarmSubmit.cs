using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Farm;
using Spectre.Console;

namespace ImageSpace.Cli.Commands;

/// <summary>`process … --farm URL`: the plan resolved here (calibrations, roll, names), then queued on the coordinator and followed
/// until every image is done or failed. Exit codes as a local run.</summary>
public static class FarmSubmit
{
    public static int Run(string url, string? token, RenderPlan plan, bool json)
    {
        using var client = new FarmClient(url, token);
        FarmClient.Submitted batch;
        // The id first: should this program die during the submission, the batch (whole, or not at all) is found under it.
        string id = FarmClient.NewBatchId();
        Console.Error.WriteLine($"batch {id}: submitting {plan.Images.Length} image(s) to {url}");
        void Warn(string m) => Console.Error.WriteLine($"warning: {m}");
        try { batch = client.SubmitAsync(plan, id, Warn).GetAwaiter().GetResult(); }
        catch (ArgumentException e) { Console.Error.WriteLine($"error: {e.Message}"); return Program.SomeFailed; }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"error: {url}: {e.Message}; batch {id} was not queued (a coordinator that got it before it went away queued it whole: see its monitor page)");
            return Program.SomeFailed;
        }
        Console.Error.WriteLine($"batch {batch.Id}: {batch.Total} image(s) queued; monitor: {batch.Monitor}");
        // Ctrl-C cancels the images that have not started on the farm (those in progress finish); a second one quits.
        bool cancelling = false;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancelling) return;
            e.Cancel = true;
            cancelling = true;
            try { Console.Error.WriteLine($"Cancelling on the farm: {client.CancelAsync(batch.Id).GetAwaiter().GetResult()} image(s) not started are dropped; waiting for those in progress (Ctrl-C again to leave)"); }
            catch (HttpRequestException ex) { Console.Error.WriteLine($"error: could not cancel: {ex.Message}"); }
        };
        Console.CancelKeyPress += onCancel;
        FarmClient.Progress p;
        try { p = Follow(client, batch, json); }
        catch (LostCoordinator lost)
        {
            // The truth: what was last known, and that the farm carries on without us.
            var l = lost.LastSeen;
            Console.Error.WriteLine($"error: {url}: {lost.Message}; batch {batch.Id} was last seen with {l?.Done ?? 0} done, {l?.Failed ?? 0} failed, " +
                                    $"{l?.Running ?? 0} running of {batch.Total}; a coordinator that keeps its queue in PostgreSQL carries on with it without this program (one started with --db memory loses it when it stops): {batch.Monitor}");
            return Program.SomeFailed;
        }
        finally { Console.CancelKeyPress -= onCancel; }
        foreach (var i in p.Items ?? [])
            if (i.Status == "failed") Console.Error.WriteLine($"error: {i.Input}: {i.Error} (after {i.Attempt} attempt(s), last on {i.Worker})");
        // The coordinator counts an image whose output was kept (skip-existing) as finished; say which, as a local run does.
        int skipped = p.Items?.Count(i => i.Status == "skipped") ?? 0, rendered = p.Done - skipped;
        Console.WriteLine($"{rendered} done, {skipped} skipped, {p.Failed} failed{(p.Cancelled > 0 ? $", {p.Cancelled} cancelled" : "")} on the farm" +
                          (rendered > 0 ? $" ({p.ImagesPerMinute:0.#} images/min)" : ""));
        return p.Failed == 0 && p.Cancelled == 0 ? Program.Ok : Program.SomeFailed;
    }

    private static FarmClient.Progress Follow(FarmClient client, FarmClient.Submitted batch, bool json)
    {
        FarmClient.Progress? seen = null;
        FarmClient.Progress Poll()
        {
            // The coordinator may restart or the network drop for a while: the batch lives in the database, so keep
            // asking, backing off, for the client's patience (IMAGESPACE_FARM_PATIENCE seconds, default 30 min).
            try
            {
                return seen = client.Persist(() => client.ProgressAsync(batch.Id), m => Console.Error.WriteLine($"warning: {m}")).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                string why = e is HttpRequestException { StatusCode: System.Net.HttpStatusCode.NotFound }
                    ? "the coordinator no longer knows this batch (restarted with in-memory storage?)"
                    : FarmClient.Unreachable(e) ? $"{e.Message} (still unreachable after retrying; patience {client.Patience.TotalSeconds:0} s, IMAGESPACE_FARM_PATIENCE)" : e.Message;
                throw new LostCoordinator(why, seen);
            }
        }
        FarmClient.Progress p = Poll();
        if (json)
        {
            int last = -1;
            while (true)
            {
                if (p.Done + p.Failed + p.Cancelled != last)
                {
                    last = p.Done + p.Failed + p.Cancelled;
                    Console.WriteLine(JsonSerializer.Serialize(new { @event = "progress", id = p.Id, done = p.Done, failed = p.Failed, running = p.Running, queued = p.Queued, total = p.Total }));
                }
                if (p.Finished) return p;
                Thread.Sleep(500);
                p = Poll();
            }
        }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"farm batch {batch.Id}", maxValue: p.Total);
                while (true)
                {
                    task.Value = p.Done + p.Failed + p.Cancelled;
                    task.Description = $"farm batch {batch.Id}: {p.Running} running, {p.Queued} queued";
                    if (p.Finished) break;
                    Thread.Sleep(500);
                    p = Poll();
                }
            });
        return p;
    }
}

/// <summary>The coordinator stayed away longer than the client's patience, or forgot the batch.</summary>
internal sealed class LostCoordinator(string message, FarmClient.Progress? lastSeen) : Exception(message)
{
    public FarmClient.Progress? LastSeen { get; } = lastSeen;
}
