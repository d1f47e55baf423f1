using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using ImageSpace.Core.Batch;
using ImageSpace.Hosting;

namespace ImageSpace.Farm;

/// <summary>Submits a batch to a coordinator and follows it (the CLI's `process --farm`, the UI's farm button).</summary>
public sealed class FarmClient(string url, string? token = null, X509Certificate2? trust = null) : IFarmLink
{
    private readonly HttpClient _http = Create(url, token, trust);

    /// <summary>A coordinator's own certificate (PEM or DER) to trust when it is not signed by an authority this machine
    /// trusts (a self-signed one): that exact certificate is accepted, whatever name it carries.</summary>
    public const string TrustVariable = "IMAGESPACE_FARM_CERT";

    private static HttpClient Create(string url, string? token, X509Certificate2? trust)
    {
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--farm '{url}' is not an http(s) URL");
        if (trust is null && Environment.GetEnvironmentVariable(TrustVariable) is { Length: > 0 } pinned)
        {
            try { trust = X509CertificateLoader.LoadCertificateFromFile(pinned); }
            catch (CryptographicException e) { throw new ArgumentException($"{TrustVariable} '{pinned}': not a certificate ({e.Message.TrimEnd('.')})"); }
        }
        var handler = new HttpClientHandler();
        if (trust is not null)
        {
            byte[] pin = trust.RawData;
            handler.ServerCertificateCustomValidationCallback = (_, cert, _, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None || (cert is not null && cert.RawData.AsSpan().SequenceEqual(pin));
        }
        var http = new HttpClient(handler) { BaseAddress = u, Timeout = TimeSpan.FromMinutes(5) };
        token ??= TokenStore.ForClient() ?? throw new ArgumentException(
            $"no token for {url}: set {TokenStore.Variable} or copy the coordinator's token file to {TokenStore.DefaultPath} (mode 600)");
        http.DefaultRequestHeaders.Add(AccessGuard.Header, token);
        return http;
    }

    public sealed record Submitted(string Id, int Total, string Monitor);
    public sealed record Progress(string Id, string InputRoot, string OutputRoot, int Total, int Queued, int Running, int Retrying, int Done, int Failed,
        int Cancelled, bool Finished, double ImagesPerMinute, List<ProgressItem>? Items);
    public sealed record ProgressItem(int Index, string Input, string Output, string Status, string? Worker, string? Error, int Attempt);

    /// <summary>How long the coordinator may stay unreachable (restarting, the network down) before a submission or a
    /// follow-up gives up: <see cref="PatienceVariable"/> seconds, else 30 minutes.</summary>
    public TimeSpan Patience { get; init; } = PatienceFromEnvironment();

    public const string PatienceVariable = "IMAGESPACE_FARM_PATIENCE";

    private static TimeSpan PatienceFromEnvironment() =>
        double.TryParse(Environment.GetEnvironmentVariable(PatienceVariable), System.Globalization.CultureInfo.InvariantCulture, out double s) && s >= 0
            ? TimeSpan.FromSeconds(s) : TimeSpan.FromMinutes(30);

    /// <summary>A new batch id, chosen by the submitter so that it knows its batch before the coordinator answers.</summary>
    public static string NewBatchId() => Guid.NewGuid().ToString("N")[..12];

    /// <summary>Runs <paramref name="call"/> until it gets an answer, waiting 1, 2, 4… (at most 15) seconds between tries
    /// while the coordinator cannot be reached; gives up (the last error) when it stayed unreachable for <see cref="Patience"/>.
    /// An answer that is an HTTP error (refused, unknown batch, no token) is not retried.</summary>
    public async Task<T> Persist<T>(Func<Task<T>> call, Action<string>? onRetry = null, CancellationToken cancel = default)
    {
        var since = System.Diagnostics.Stopwatch.StartNew();
        var pause = TimeSpan.FromSeconds(1);
        while (true)
        {
            try { return await call(); }
            catch (Exception e) when (Unreachable(e, cancel) && since.Elapsed + pause <= Patience)
            {
                onRetry?.Invoke($"{_http.BaseAddress}: {e.Message} (unreachable for {since.Elapsed.TotalSeconds:0} s; trying again in {pause.TotalSeconds:0} s)");
                await Task.Delay(pause, cancel);
                pause = TimeSpan.FromSeconds(Math.Min(15, pause.TotalSeconds * 2));
            }
        }
    }

    /// <summary>No answer at all (refused connection, reset, time-out, a proxy's 502-504), or a 500 (the coordinator's
    /// database is away: the coordinator keeps running and answers again once it is back): the coordinator is away.</summary>
    public static bool Unreachable(Exception e, CancellationToken cancel = default) => e switch
    {
        HttpRequestException h => h.StatusCode is null or System.Net.HttpStatusCode.InternalServerError or System.Net.HttpStatusCode.BadGateway
            or System.Net.HttpStatusCode.ServiceUnavailable or System.Net.HttpStatusCode.GatewayTimeout,
        TaskCanceledException => !cancel.IsCancellationRequested,
        _ => false,
    };

    /// <summary>Submits a resolved plan: the coordinator checks it and queues its images as they are, all or none.
    /// Sent again under the same <paramref name="id"/> while the coordinator is unreachable (a resent submission finds
    /// the batch a lost answer was about).</summary>
    /// <exception cref="ArgumentException">the coordinator refused the batch (the message lists why)</exception>
    public Task<Submitted> SubmitAsync(RenderPlan plan, string? id = null, Action<string>? onRetry = null, CancellationToken cancel = default)
    {
        id ??= NewBatchId();
        string json = plan.ToJson();
        return Persist(() => SubmitOnce(json, id, cancel), onRetry, cancel);
    }

    private async Task<Submitted> SubmitOnce(string json, string id, CancellationToken cancel)
    {
        var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var r = await _http.PostAsync($"api/batches?id={Uri.EscapeDataString(id)}", content, cancel);
        if ((int)r.StatusCode is 500 or 502 or 503 or 504) throw new HttpRequestException($"{(int)r.StatusCode} {r.ReasonPhrase}", null, r.StatusCode);
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
