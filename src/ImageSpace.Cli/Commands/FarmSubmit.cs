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
        try { batch = client.SubmitAsync(plan).GetAwaiter().GetResult(); }
        catch (ArgumentException e) { Console.Error.WriteLine($"error: {e.Message}"); return Program.SomeFailed; }
        catch (HttpRequestException e) { Console.Error.WriteLine($"error: {url}: {e.Message}"); return Program.SomeFailed; }
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
        FarmClient.Progress p = Follow(client, batch, json);
        Console.CancelKeyPress -= onCancel;
        foreach (var i in p.Items ?? [])
            if (i.Status == "failed") Console.Error.WriteLine($"error: {i.Input}: {i.Error} (after {i.Attempt} attempt(s), last on {i.Worker})");
        Console.WriteLine($"{p.Done} done, {p.Failed} failed{(p.Cancelled > 0 ? $", {p.Cancelled} cancelled" : "")} on the farm ({p.ImagesPerMinute:0.#} images/min)");
        return p.Failed == 0 && p.Cancelled == 0 ? Program.Ok : Program.SomeFailed;
    }

    private static FarmClient.Progress Follow(FarmClient client, FarmClient.Submitted batch, bool json)
    {
        FarmClient.Progress Poll()
        {
            // The coordinator may restart or the network drop for a while: the batch lives in the database, so keep asking.
            for (int attempt = 0; ; attempt++)
            {
                try { return client.ProgressAsync(batch.Id).GetAwaiter().GetResult(); }
                catch (HttpRequestException) when (attempt < 120) { Thread.Sleep(1000); }
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
