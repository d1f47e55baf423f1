using System.CommandLine;
using ImageSpace.Cli.Commands;

namespace ImageSpace.Cli;

public static class Program
{
    /// <summary>Exit codes: 0 all done, 1 some files failed, 2 usage error.</summary>
    public const int Ok = 0, SomeFailed = 1, UsageError = 2;

    public static int Main(string[] args)
    {
        var root = new RootCommand("Image Space: RAW photos → colour-calibrated images (photogrammetry, film scanning).");
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(ProcessCommand.Create());
        root.Subcommands.Add(SampleCommand.Create());
        root.Subcommands.Add(ScanCommand.Create());
        root.Subcommands.Add(DetectCommand.Create());
        root.Subcommands.Add(CalibrateCommand.Create());
        root.Subcommands.Add(FilmCommand.Create());
        root.Subcommands.Add(ExposureCommand.Create());
        root.Subcommands.Add(RecipeCommand.Create());
        root.Subcommands.Add(UiCommand.Create());
        root.Subcommands.Add(FarmCommand.Create());
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("Run 'imagespace --help' for usage.");
            return UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return UsageError;
        }
    }
}

public static class Lifetime
{
    /// <summary>Blocks a server command until Ctrl-C or SIGTERM. A web host takes those signals itself (and then only
    /// stops), so its stopping token ends the wait too.</summary>
    public static void WaitForStop(CancellationToken hostStopping = default)
    {
        var stop = new ManualResetEventSlim();
        hostStopping.Register(stop.Set);
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Set();
        stop.Wait();
    }
}

/// <summary>Wrong parameters: reported on one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
