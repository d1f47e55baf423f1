using System.Net;
using System.Text.Json;
using ImageSpace.Hosting;

namespace ImageSpace.Web;

/// <summary>The page's farm panel: a coordinator's workers and batches read from its own API (GET /api/workers,
/// GET /api/batches) and passed on as they came, so the panel follows whatever the coordinator reports. The UI
/// server asks (the page cannot: the coordinator grants no cross-site access, and the token stays out of the page's
/// URLs).</summary>
public static class FarmPanel
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public static async Task<object> StatusAsync(string url, string? token, CancellationToken cancel)
    {
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
            throw new ArgumentException($"farm '{url}' is not an http(s) address");
        token = string.IsNullOrEmpty(token) ? TokenStore.ForClient() : token;
        if (token is null) throw new ArgumentException($"no token for the farm at {url}: type the coordinator's token under Farm token");
        var workers = await GetAsync(root, "api/workers", token, cancel);
        var batches = await GetAsync(root, "api/batches", token, cancel);
        return new { workers, batches, at = DateTime.UtcNow };
    }

    private static async Task<JsonElement> GetAsync(Uri root, string path, string token, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, path));
        request.Headers.Add(AccessGuard.Header, token);
        HttpResponseMessage response;
        try { response = await Http.SendAsync(request, cancel); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            throw new ArgumentException($"the farm at {root} does not answer ({e.Message.TrimEnd('.')})");
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized) throw new ArgumentException($"the farm at {root} refused the token");
            if (!response.IsSuccessStatusCode) throw new ArgumentException($"the farm at {root} answered {(int)response.StatusCode} to {path}");
            using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancel), cancellationToken: cancel);
            return doc.RootElement.Clone();
        }
    }
}
