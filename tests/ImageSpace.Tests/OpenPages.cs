using Microsoft.Playwright;

namespace ImageSpace.Tests;

/// <summary>The browser pages a test opened, closed when the test ends. A page left open keeps polling its server and
/// holding its images while the following tests run, which costs a small CI machine memory and CPU. An error the
/// page's script did not catch fails the test that saw it (a script that failed to load left every control dead).</summary>
public sealed class OpenPages
{
    private readonly List<IPage> _pages = [];
    private readonly List<string> _errors = [];

    public IPage Add(IPage page)
    {
        page.PageError += (_, error) =>
        {
            // A request cut by a server that a test has already stopped (the page outlives it until the test ends)
            // is the test's doing, not the script's.
            if (error.Contains("Failed to fetch", StringComparison.Ordinal)) return;
            lock (_errors) _errors.Add(error);
        };
        lock (_pages) _pages.Add(page);
        return page;
    }

    public async Task CloseAllAsync()
    {
        IPage[] all;
        lock (_pages) { all = [.. _pages]; _pages.Clear(); }
        foreach (var page in all) await page.CloseAsync();
        string[] errors;
        lock (_errors) { errors = [.. _errors]; _errors.Clear(); }
        Assert.True(errors.Length == 0, "the page's script failed: " + string.Join(" | ", errors));
    }
}
