using System.CommandLine;
using System.CommandLine.Parsing;
using ImageSpace.Cli.Commands;

namespace ImageSpace.Cli;

public static class Program
{
    /// <summary>Exit codes: 0 all done, 1 some files failed (or an unexpected error), 2 usage error (nothing was
    /// processed).</summary>
    public const int Ok = 0, SomeFailed = 1, UsageError = 2;

    /// <summary>IMAGESPACE_DEBUG=1: unexpected errors print their stack trace too.</summary>
    private static bool Debug => Environment.GetEnvironmentVariable("IMAGESPACE_DEBUG") is "1" or "true";

    public static int Main(string[] args)
    {
        // Whatever goes wrong, and on whichever thread, the user gets one line, not a stack trace (issue 15).
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            Console.Error.WriteLine(Unexpected(e.ExceptionObject as Exception));
            Console.Error.Flush();
            Environment.Exit(SomeFailed);
        };
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
        // A misspelt command: one line with the nearest command, not the parser's error for every token after it. Read
        // from the parse (help aliases, response files and directives are the parser's own).
        if (parsed.CommandResult.Command == root && parsed.Tokens.FirstOrDefault() is { Type: TokenType.Argument } first
            && parsed.UnmatchedTokens.Contains(first.Value))
        {
            string hint = CommandLineChecks.Suggest(first.Value, root.Subcommands.Select(c => c.Name)) is { } near ? $"; did you mean {near}?" : "";
            Console.Error.WriteLine($"error: unknown command '{first.Value}'{hint}");
            Console.Error.WriteLine("Run 'imagespace --help' for usage.");
            return UsageError;
        }
        var unknown = CommandLineChecks.UnknownOptions(parsed);
        var errors = unknown.Select(u => u.Message)
            .Concat(parsed.Errors.Select(e => e.Message).Where(m => !unknown.Any(u => m.Contains($"'{u.Token}'", StringComparison.Ordinal))))
            .ToList();
        if (errors.Count > 0)
        {
            foreach (var e in errors) Console.Error.WriteLine($"error: {CommandLineChecks.TypeError(e) ?? CommandLineChecks.WithHint(e)}");
            Console.Error.WriteLine("Run 'imagespace --help' for usage.");
            return UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {OneLine(CommandLineChecks.WithHint(e.Message))}");
            return UsageError;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(Unexpected(e));
            return SomeFailed;
        }
    }

    /// <summary>An error no command reported itself: the message on one line; the trace only with IMAGESPACE_DEBUG=1.
    /// The errors users meet (files, folders, permissions, bad data) carry their message; anything else is named as
    /// an internal error so it gets reported.</summary>
    private static string Unexpected(Exception? e)
    {
        if (e is null) return "error: unknown failure";
        if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerException!;
        if (Debug) return $"error: {e}";
        bool expected = e is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException
            or NotSupportedException or OutOfMemoryException or Core.Raw.RawDecodeException or OperationCanceledException;
        string text = expected ? e.Message : $"internal error ({e.GetType().Name}: {e.Message}); set IMAGESPACE_DEBUG=1 for details";
        return $"error: {OneLine(text)}";
    }

    private static string OneLine(string s) => string.Join(" ", s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
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
        // SIGTERM (systemd, docker stop, kill): the runtime would exit as soon as its handlers return, cutting the
        // orderly stop short (a worker must finish or hand back its images first); cancelled here, the caller's
        // clean-up runs and the program ends on its own.
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM,
            ctx => { ctx.Cancel = true; stop.Set(); });
        stop.Wait();
    }
}

/// <summary>Wrong parameters: reported on one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
