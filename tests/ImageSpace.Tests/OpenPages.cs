using Microsoft.Playwright;

namespace ImageSpace.Tests;

/// <summary>The browser pages a test opened, closed when the test ends. A page left open keeps polling its server and
/// holding its images while the following tests run, which costs a small CI machine memory and CPU.</summary>
public sealed class OpenPages
{
    private readonly List<IPage> _pages = [];

    public IPage Add(IPage page)
    {
        lock (_pages) _pages.Add(page);
        return page;
    }

    public async Task CloseAllAsync()
    {
        IPage[] all;
        lock (_pages) { all = [.. _pages]; _pages.Clear(); }
        foreach (var page in all) await page.CloseAsync();
    }
}
