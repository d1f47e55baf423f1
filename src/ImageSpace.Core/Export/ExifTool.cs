using System.Diagnostics;
using System.Text;

namespace ImageSpace.Core.Export;

/// <summary>Persistent `exiftool -stay_open` processes reused by the whole batch (starting Perl per file would cost more
/// than the encode). One process per three cores at most: after its start-up (~0.4 s of CPU compiling exiftool's tag
/// tables) a process needs a few tens of ms per image, during the decode, so one serves several batch threads, and every
/// further process would pay that start-up again on a core the batch needs (issue 17: two threads on two cores started
/// two at once). Which tags are copied from the RAW and which are set: <see cref="MetadataTags"/>.</summary>
public sealed class ExifTool : IDisposable
{
    private readonly Process _proc;
    private readonly object _lock = new();
    private bool _disposed;

    private static readonly object Gate = new();
    private static readonly Stack<ExifTool> Idle = new();
    private static readonly List<ExifTool> Started = new();
    private static int _starting;

    /// <summary>How many exiftool processes a run keeps at most.</summary>
    public static int MaxProcesses { get; } = Math.Max(1, (Environment.ProcessorCount + 2) / 3);

    /// <summary>Runs <paramref name="action"/> with an idle exiftool process of this program run (started on first need
    /// and kept for the rest of the run; a caller waits for one when <see cref="MaxProcesses"/> are busy), or throws
    /// when exiftool is not installed.</summary>
    public static void Use(Action<ExifTool> action)
    {
        if (!IsAvailable) throw new IOException("exiftool is not installed (apt install libimage-exiftool-perl), so metadata cannot be copied; install it or use --no-metadata");
        ExifTool? tool = null;
        lock (Gate)
        {
            while (Idle.Count == 0 && Started.Count + _starting >= MaxProcesses) Monitor.Wait(Gate);
            if (Idle.Count > 0) tool = Idle.Pop();
            else _starting++;
        }
        if (tool is null)
        {
            try { tool = new ExifTool(); }
            finally
            {
                lock (Gate)
                {
                    _starting--;
                    if (tool is not null) Started.Add(tool);
                    Monitor.PulseAll(Gate);
                }
            }
        }
        try { action(tool); }
        finally
        {
            lock (Gate)
            {
                // A process that died (killed, out of memory) is replaced on the next call instead of failing every one.
                if (tool.HasExited) { Started.Remove(tool); tool.Dispose(); }
                else Idle.Push(tool);
                Monitor.PulseAll(Gate);
            }
        }
    }

    private bool HasExited
    {
        get
        {
            try { return _disposed || _proc.HasExited; }
            catch (InvalidOperationException) { return true; }
        }
    }

    /// <summary>Ends every exiftool process this run started (also done at process exit).</summary>
    public static void ShutdownAll()
    {
        lock (Gate)
        {
            foreach (var t in Started) t.Dispose();
            Started.Clear();
            Idle.Clear();
        }
    }

    static ExifTool() => AppDomain.CurrentDomain.ProcessExit += (_, _) => ShutdownAll();

    private static readonly string? Script = FindOnPath("exiftool");

    public static bool IsAvailable { get; } = Script is not null;

    /// <summary>Beside the program: runs exiftool without compiling the tag tables a copy cannot use (see the file).</summary>
    public const string LazyTablesLauncher = "imagespace-exiftool.pl";

    public ExifTool() : this(lazyTables: true) { }

    /// <param name="lazyTables">through <see cref="LazyTablesLauncher"/> when exiftool is the Perl script it usually
    /// is (~0.13 s less CPU per process, the same files); false runs exiftool as it is.</param>
    internal ExifTool(bool lazyTables)
    {
        // Through imagespace-child, so exiftool dies with us even on SIGKILL (exiftool ignores EOF on its stdin).
        var psi = new ProcessStartInfo(ChildLauncher.Locate())
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false), StandardOutputEncoding = Encoding.UTF8,
        };
        string[]? program = lazyTables ? LazyCommand.Value : null;
        UsesLazyTables = program is not null;
        program ??= [Script ?? "exiftool"];
        foreach (var a in (string[])[ChildLauncher.ParentPid, .. program, "-stay_open", "True", "-@", "-"]) psi.ArgumentList.Add(a);
        _proc = Process.Start(psi) ?? throw new InvalidOperationException("cannot start exiftool");
        // stderr is read on a thread of its own, not through the thread pool's callbacks: every command waits for its
        // marker there, and a pool busy with a batch's first images delayed it by a second (issue 17).
        new Thread(() =>
        {
            try
            {
                string? line;
                while ((line = _proc.StandardError.ReadLine()) is not null)
                {
                    if (line == ErrorMarker) _errorsDone.Release();
                    else lock (_errors) _errors.AppendLine(line);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { } // the process ended
        })
        { IsBackground = true, Name = "exiftool-stderr" }.UnsafeStart(); // lives as long as the pooled process: it must
        // not keep the starting flow's context (a batch's degree scope holds its runner) alive with it
    }

    /// <summary>Whether this process runs through <see cref="LazyTablesLauncher"/>.</summary>
    internal bool UsesLazyTables { get; }

    private readonly StringBuilder _errors = new();
    // stderr is a separate stream: "-echo4 MARKER" writes a marker there after each command so the two can be paired.
    private const string ErrorMarker = "{imagespace-ready}";
    private readonly SemaphoreSlim _errorsDone = new(0);

    /// <summary>Copies the metadata <paramref name="arguments"/> select (see <see cref="MetadataTags"/>) into
    /// <paramref name="target"/>, rewritten in place (call it on the temporary file before the atomic rename).</summary>
    public void CopyMetadata(IEnumerable<string> arguments, string target)
    {
        var (stdout, stderr) = Execute([.. arguments, "-overwrite_original", "-P", target]);
        if (!stdout.Contains("1 image files updated"))
            throw new IOException($"exiftool could not copy metadata: {FirstLine(stderr + stdout)}");
    }

    /// <summary>Writes a copy of <paramref name="template"/> with the metadata <paramref name="arguments"/> select to
    /// <paramref name="output"/> (which must not exist): exiftool lays the tags out for the template's format, and our
    /// writers embed them while writing the real file (no second pass over a large output).</summary>
    public void WriteCopy(IEnumerable<string> arguments, string template, string output)
    {
        var (stdout, stderr) = Execute([.. arguments, "-o", output, template]);
        if (!stdout.Contains("1 image files created"))
            throw new IOException($"exiftool could not copy metadata: {FirstLine(stderr + stdout)}");
    }

    private static string FirstLine(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "no output";

    private (string stdout, string stderr) Execute(IEnumerable<string> args)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            string before; // what exiftool said since the last command (a launcher that could not start it, say)
            lock (_errors)
            {
                before = _errors.ToString();
                _errors.Clear();
            }
            foreach (var a in args)
                if (a.Contains('\n')) throw new ArgumentException("exiftool arguments cannot contain newlines");
            var w = _proc.StandardInput;
            try
            {
                foreach (var a in args) { w.Write(a); w.Write('\n'); }
                w.Write($"-echo4\n{ErrorMarker}\n-execute\n");
                w.Flush();
            }
            catch (IOException e) { throw Stopped(before, e); } // a dead exiftool shows as a broken pipe
            var sb = new StringBuilder();
            string? line;
            while ((line = _proc.StandardOutput.ReadLine()) is not null && line != "{ready}") sb.AppendLine(line);
            if (line is null) throw Stopped(before, null);
            _errorsDone.Wait(TimeSpan.FromSeconds(10));
            lock (_errors) return (sb.ToString(), _errors.ToString());
        }
    }

    /// <summary>exiftool's process has ended: what it (or the launcher that could not start it) last said, and what to do.</summary>
    private IOException Stopped(string before, IOException? e)
    {
        _errorsDone.Wait(TimeSpan.FromMilliseconds(200)); // its last words on stderr
        string why;
        lock (_errors) why = FirstLine(before + _errors);
        if (why == "no output") why = e?.Message ?? "no message";
        return new IOException($"exiftool exited unexpectedly ({why}); check that `exiftool -ver` works, or use --no-metadata", e);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                _proc.StandardInput.Write("-stay_open\nFalse\n");
                _proc.StandardInput.Flush();
                if (!_proc.WaitForExit(5000)) _proc.Kill();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException) { }
            _proc.Dispose();
        }
    }

    /// <summary>The command that runs exiftool through <see cref="LazyTablesLauncher"/>: the interpreter and flags of
    /// exiftool's own first line ("#!/usr/bin/perl -w"), the launcher, exiftool. Null when the launcher is not installed
    /// or exiftool is not a Perl script (a wrapper of another kind runs as it is).</summary>
    private static readonly Lazy<string[]?> LazyCommand = new(LazyLauncher);

    private static string[]? LazyLauncher()
    {
        string launcher = Path.Combine(AppContext.BaseDirectory, LazyTablesLauncher);
        if (Script is null || !File.Exists(launcher)) return null;
        string? first;
        try
        {
            using var reader = new StreamReader(Script);
            first = reader.ReadLine();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        if (first is null || !first.StartsWith("#!", StringComparison.Ordinal)) return null;
        var words = first[2..].Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (words.Count > 1 && Path.GetFileName(words[0]) == "env") words.RemoveAt(0); // "#!/usr/bin/env perl"
        if (words.Count == 0 || !Path.GetFileName(words[0]).StartsWith("perl", StringComparison.Ordinal)) return null;
        return [words[0], .. words.Skip(1).Where(w => w.StartsWith('-')), launcher, Path.GetFullPath(Script)];
    }

    /// <summary>The file a shell would run for <paramref name="exe"/>: the first on PATH that is executable.</summary>
    private static string? FindOnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(d => Path.Combine(d, exe)).FirstOrDefault(IsExecutable);

    private static bool IsExecutable(string path)
    {
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        try { return File.Exists(path) && (File.GetUnixFileMode(path) & anyExecute) != 0; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
