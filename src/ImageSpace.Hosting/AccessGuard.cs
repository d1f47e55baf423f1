using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageSpace.Hosting;

/// <summary>Who may talk to a server (the UI, the farm coordinator): requests carrying the token
/// (<see cref="TokenStore"/>; header, cookie, or ?token= once in a link, which sets the cookie), on every interface,
/// loopback included; on loopback also only under a loopback host name (a page elsewhere cannot reach it through DNS
/// rebinding). The comparison takes the same time whatever the guess.</summary>
public static class AccessGuard
{
    public const string Header = "X-ImageSpace-Token", Cookie = "imagespace_token";

    public static bool IsLoopback(string address) =>
        IPAddress.TryParse(address.Trim('[', ']'), out var a) ? IPAddress.IsLoopback(a) : address == "localhost";

    public static void Use(WebApplication app, bool loopback, string token) => app.Use(async (ctx, next) =>
    {
        if (loopback && ctx.Request.Host.Host is not ("127.0.0.1" or "localhost" or "[::1]" or "::1"))
        {
            ctx.Response.StatusCode = 403; await ctx.Response.WriteAsync("forbidden host"); return;
        }
        string given = ctx.Request.Headers[Header].FirstOrDefault() ?? ctx.Request.Cookies[Cookie] ?? ctx.Request.Query["token"].FirstOrDefault() ?? "";
        if (!Matches(given, token))
        {
            ctx.Response.StatusCode = 401; await ctx.Response.WriteAsync("token required (X-ImageSpace-Token; see the README's Security section)"); return;
        }
        if (ctx.Request.Query.ContainsKey("token"))
            ctx.Response.Cookies.Append(Cookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict });
        // Cross-site request forgery: any web page can make the browser POST a form or text/plain to 127.0.0.1. Only
        // JSON is accepted for requests that change something; a page elsewhere cannot send JSON without a CORS
        // preflight, which these servers never grant.
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method) && !IsDashboard(ctx)
            && ctx.Request.ContentType?.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            ctx.Response.StatusCode = 415; await ctx.Response.WriteAsync("requests that change something must be application/json"); return;
        }
        await next();
    });

    /// <summary>Constant time whatever the guess, its length included: both sides are hashed to 32 bytes first.</summary>
    public static bool Matches(string given, string token) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Hangfire's dashboard posts forms of its own (retry, delete); the coordinator registers ASP.NET Core's
    /// antiforgery service, which the dashboard then checks on them.</summary>
    private static bool IsDashboard(HttpContext ctx) => ctx.Request.Path.StartsWithSegments("/hangfire");

    /// <summary>The URL to print for a server bound to <paramref name="boundUrl"/> (wildcards become 127.0.0.1).</summary>
    public static string DisplayUrl(string boundUrl) => boundUrl.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1");

    /// <summary>A user's mistake (bad value, path outside the roots, missing or unreadable file) becomes a JSON
    /// {error} with 400/403/404 and its one-line reason, instead of a 500.</summary>
    public static void UseJsonErrors(WebApplication app) => app.Use(async (ctx, next) =>
    {
        try { await next(); }
        catch (Exception e) when (e is ArgumentException or UnauthorizedAccessException or FileNotFoundException or InvalidOperationException
                                      or Core.Raw.RawDecodeException or IOException or InvalidDataException or System.Text.Json.JsonException)
        {
            ctx.Response.StatusCode = e is UnauthorizedAccessException ? 403 : e is FileNotFoundException ? 404 : 400;
            await ctx.Response.WriteAsJsonAsync(new { error = e.Message });
        }
    });
}
