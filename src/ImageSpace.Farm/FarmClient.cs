using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Hosting;

namespace ImageSpace.Farm;

/// <summary>Submits a batch to a coordinator and follows it (the CLI's `process --farm`, the UI's farm button).</summary>
public sealed class FarmClient(string url, string? token = null) : IFarmLink
{
    private readonly HttpClient _http = Create(url, token);

    private static HttpClient Create(string url, string? token)
    {
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--farm '{url}' is not an http(s) URL");
        var http = new HttpClient { BaseAddress = u, Timeout = TimeSpan.FromMinutes(5) };
        token ??= TokenStore.ForClient() ?? throw new ArgumentException(
            $"no token for {url}: set {TokenStore.Variable} or copy the coordinator's token file to {TokenStore.DefaultPath} (mode 600)");
        http.DefaultRequestHeaders.Add(AccessGuard.Header, token);
        return http;
    }

    public sealed record Submitted(string Id, int Total, string Monitor);
    public sealed record Progress(string Id, string InputRoot, string OutputRoot, int Total, int Queued, int Running, int Retrying, int Done, int Failed,
        int Cancelled, bool Finished, double ImagesPerMinute, List<ProgressItem>? Items);
    public sealed record ProgressItem(int Index, string Input, string Output, string Status, string? Worker, string? Error, int Attempt);

    /// <summary>Submits a resolved plan: the coordinator checks it and queues its images as they are.</summary>
    /// <exception cref="ArgumentException">the coordinator refused the batch (the message lists why)</exception>
    public async Task<Submitted> SubmitAsync(RenderPlan plan, CancellationToken cancel = default)
    {
        var content = new StringContent(plan.ToJson(), Encoding.UTF8, "application/json");
        using var r = await _http.PostAsync("api/batches", content, cancel);
        var body = await r.Content.ReadAsStringAsync(cancel);
        if (!r.IsSuccessStatusCode)
        {
            string message = body;
            try
            {
                var doc = JsonDocument.Parse(body).RootElement;
                message = doc.GetProperty("error").GetString() ?? body;
                if (doc.TryGetProperty("refused", out var list))
                    message += string.Concat(list.EnumerateArray().Select(x => $"\n  {x.GetProperty("input").GetString()}: {x.GetProperty("reason").GetString()}"));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
            throw new ArgumentException($"the coordinator refused the batch ({(int)r.StatusCode}): {message}");
        }
        return JsonSerializer.Deserialize<Submitted>(body, JsonSerializerOptions.Web)!;
    }

    /// <summary>Cancels the batch's images that have not started; returns how many.</summary>
    public async Task<int> CancelAsync(string id, CancellationToken cancel = default)
    {
        using var r = await _http.PostAsync($"api/batches/{Uri.EscapeDataString(id)}/cancel", new StringContent("{}", Encoding.UTF8, "application/json"), cancel);
        r.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync(cancel)).RootElement.GetProperty("cancelled").GetInt32();
    }

    void IFarmLink.Cancel(string id) => CancelAsync(id).GetAwaiter().GetResult();

    public async Task<Progress> ProgressAsync(string id, CancellationToken cancel = default) =>
        (await _http.GetFromJsonAsync<Progress>($"api/batches/{Uri.EscapeDataString(id)}", JsonSerializerOptions.Web, cancel))!;

    (string id, int total) IFarmLink.Submit(RenderPlan plan)
    {
        var b = SubmitAsync(plan).GetAwaiter().GetResult();
        return (b.Id, b.Total);
    }

    FarmBatchStatus IFarmLink.Status(string id)
    {
        var p = ProgressAsync(id).GetAwaiter().GetResult();
        return new FarmBatchStatus(p.InputRoot, p.OutputRoot, p.Total, p.Done, p.Failed, p.Cancelled, p.Finished,
            (p.Items ?? []).Select(i => new FarmItemStatus(i.Input, i.Output, i.Status, i.Error)).ToList());
    }

    public void Dispose() => _http.Dispose();
}
