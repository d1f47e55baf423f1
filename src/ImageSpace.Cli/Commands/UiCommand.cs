using System.CommandLine;
using System.Diagnostics;
using ImageSpace.Web;

namespace ImageSpace.Cli.Commands;

public static class UiCommand
{
    public static Command Create()
    {
        var folders = new Argument<string[]>("folders") { Description = "folders the UI may read and write (the first is opened)", Arity = ArgumentArity.ZeroOrMore };
        var port = new Option<int>("--port") { Description = "TCP port (default: a free one)" };
        var noBrowser = new Option<bool>("--no-browser") { Description = "only print the URL" };
        var listen = new Option<string>("--listen") { Description = "address to listen on (default 127.0.0.1); every request carries the token (IMAGESPACE_TOKEN, or ~/.config/imagespace/token)", DefaultValueFactory = _ => "127.0.0.1" };
        var cmd = new Command("ui", "Serve the local web UI: browse a dataset, preview and adjust, detect charts, export with progress.")
        { folders, port, noBrowser, listen };
        cmd.SetAction(pr =>
        {
            var dirs = pr.GetValue(folders) ?? [];
            foreach (var d in dirs) if (!Directory.Exists(d)) throw new UsageException($"{d}: no such folder");
            var options = new UiOptions
            {
                Folders = dirs, Port = pr.GetValue(port), Listen = pr.GetValue(listen)!,
                FarmLinks = (url, farmToken) => new ImageSpace.Farm.FarmClient(url, farmToken),
            };
            try { options.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var running = UiServer.StartAsync(options).GetAwaiter().GetResult();
            Console.WriteLine($"Image Space UI: {running.Url}");
            Console.WriteLine("Press Ctrl+C to stop.");
            if (!pr.GetValue(noBrowser)) OpenBrowser(running.Url);
            Lifetime.WaitForStop(running.App.Lifetime.ApplicationStopping);
            running.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return Program.Ok;
        });
        return cmd;
    }

    /// <summary>The system's browser, if there is one; the printed URL works either way.</summary>
    private static void OpenBrowser(string url)
    {
        foreach (var opener in new[] { "xdg-open", "open", "chromium", "firefox" })
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(opener, url) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true });
                if (p is not null) return;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        Console.WriteLine("(no browser found: open the URL yourself)");
    }
}
