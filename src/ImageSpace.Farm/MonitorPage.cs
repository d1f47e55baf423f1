using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace ImageSpace.Farm;

/// <summary>The coordinator's monitor page: workers, batches with progress and throughput, failures with their reasons.
/// Rendered on the server, every value HTML-encoded; it refreshes itself every 2 s.</summary>
public static class MonitorPage
{
    private static string E(string? s) => HtmlEncoder.Default.Encode(s ?? "");
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(IReadOnlyList<WorkerInfo> workers, IReadOnlyList<BatchSummary> batches, BatchSummary? detail)
    {
        var sb = new StringBuilder();
        sb.Append("""
<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Image Space farm</title>
<style>
body{font:13px system-ui,sans-serif;margin:16px;background:#1c1d20;color:#e4e4e4}a{color:#4f9cf7}
table{border-collapse:collapse;margin:6px 0 18px}td,th{padding:3px 10px;border-bottom:1px solid #3a3d43;text-align:left}
.bar{width:220px;height:10px;background:#333;display:inline-block;vertical-align:middle}.bar i{display:block;height:10px;background:#3fb950}
.lost{color:#f85149}.ok{color:#3fb950}.muted{color:#9a9ea6}
</style></head><body>
<h2>Image Space farm</h2><p class="muted">Jobs live in the database; <a href="/hangfire">Hangfire dashboard</a> for queues and retries.</p>
""");
        sb.Append("<h3>Workers</h3><table id=\"workers\"><tr><th>name</th><th>host</th><th>threads</th><th>busy</th><th>memory budget</th><th>free memory</th><th>done</th><th>queues</th><th>heartbeat</th></tr>");
        foreach (var w in workers)
        {
            double age = (DateTime.UtcNow - w.HeartbeatUtc).TotalSeconds;
            string state = age < FarmRecords.LostAfter.TotalSeconds ? $"<span class=\"ok\">{age:0} s ago</span>" : $"<span class=\"lost\">lost ({age:0} s)</span>";
            sb.Append($"<tr><td>{E(w.Name)}</td><td>{E(w.Host)} (pid {w.Pid})</td><td>{w.Threads}</td><td>{w.Busy}</td><td>{w.BudgetMb} MB</td><td>{w.FreeMemoryMb} MB</td><td>{w.Done}</td><td>{E(string.Join(", ", w.Queues))}</td><td>{state}</td></tr>");
        }
        sb.Append("</table><h3>Batches</h3><table id=\"batches\"><tr><th>batch</th><th>created</th><th>output</th><th>progress</th><th>done</th><th>running</th><th>queued</th><th>retrying</th><th>failed</th><th>cancelled</th><th>images/min</th><th></th></tr>");
        foreach (var b in batches)
        {
            double f = b.Info.Total == 0 ? 1 : (b.Done + b.Failed) / (double)b.Info.Total;
            sb.Append($"<tr><td><a href=\"/batches/{E(b.Info.Id)}\">{E(b.Info.Id)}</a></td><td>{b.Info.CreatedUtc.ToString("u", Inv)}</td><td>{E(b.Info.OutputRoot)}</td>")
              .Append($"<td><span class=\"bar\"><i style=\"width:{(f * 100).ToString("0", Inv)}%\"></i></span> {b.Done + b.Failed}/{b.Info.Total}</td>")
              .Append($"<td>{b.Done}</td><td>{b.Running}</td><td>{b.Queued}</td><td>{b.Retrying}</td><td>{b.Failed}</td><td>{b.Cancelled}</td><td>{b.ImagesPerMinute.ToString("0.0", Inv)}</td>")
              .Append(b.Finished ? "<td></td></tr>" : $"<td><button data-cancel=\"{E(b.Info.Id)}\">Cancel</button></td></tr>");
        }
        sb.Append("</table>");
        var failures = batches.SelectMany(b => b.Items.Where(t => t.item.Status is "failed" or "retrying").Select(t => (b, t.item))).ToList();
        sb.Append("<h3>Failures</h3><table id=\"failures\"><tr><th>batch</th><th>input</th><th>status</th><th>attempt</th><th>worker</th><th>reason</th></tr>");
        foreach (var (b, item) in failures)
            sb.Append($"<tr><td>{E(b.Info.Id)}</td><td>{E(item.Input)}</td><td class=\"lost\">{E(item.Status)}</td><td>{item.Attempt}</td><td>{E(item.Worker)}</td><td>{E(item.Error)}</td></tr>");
        sb.Append("</table>");
        if (detail is not null)
        {
            sb.Append($"<h3>Batch {E(detail.Info.Id)}: images</h3><p class=\"muted\">inputs under {E(detail.Info.InputRoot)}</p><table id=\"items\"><tr><th>#</th><th>input</th><th>output</th><th>status</th><th>worker</th><th>attempt</th><th>s</th></tr>");
            foreach (var (i, item) in detail.Items)
                sb.Append($"<tr><td>{i + 1}</td><td>{E(item.Input)}</td><td>{E(item.Output)}</td><td>{E(item.Status)}</td><td>{E(item.Worker)}</td><td>{item.Attempt}</td><td>{item.Seconds.ToString("0.00", Inv)}</td></tr>");
            sb.Append("</table>");
        }
        // Cancel through the JSON API (same origin; changes are only accepted as JSON).
        sb.Append("""
<script>
document.querySelectorAll('button[data-cancel]').forEach(b => b.addEventListener('click', async () => {
  if (!confirm('Cancel the images of this batch that have not started?')) return;
  await fetch('/api/batches/' + encodeURIComponent(b.dataset.cancel) + '/cancel', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  location.reload();
}));
</script></body></html>
""");
        return sb.ToString();
    }
}
