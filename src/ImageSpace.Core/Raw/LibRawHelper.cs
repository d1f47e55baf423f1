using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ImageSpace.Core.Raw;

/// <summary>Runs the imagespace-libraw helper (native/imagespace-libraw.c) and reads its answer: a JSON line of
/// metadata and the pixel payload. This is the project's whole LibRaw interop layer; the reason it is a process is in
/// the C file's header.</summary>
public static class LibRawHelper
{
    public const string ExecutableName = "imagespace-libraw";
    /// <summary>A decode that takes longer than this is treated as a hung decoder (LibRaw on a hostile file).</summary>
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    public static string Locate()
    {
        string? env = Environment.GetEnvironmentVariable("IMAGESPACE_LIBRAW_HELPER");
        if (!string.IsNullOrEmpty(env) && File.Exists(env)) return env;
        string local = Path.Combine(AppContext.BaseDirectory, ExecutableName);
        if (File.Exists(local)) return local;
        throw new FileNotFoundException(
            $"{ExecutableName} not found next to the program ({AppContext.BaseDirectory}); it is built from native/ " +
            "with libraw-dev installed (see README), or set IMAGESPACE_LIBRAW_HELPER");
    }

    /// <summary>The payload array is rented from <see cref="Imaging.LargeArrayPool{T}"/>: return it when done.</summary>
    public sealed record Result(RawMetadata Metadata, ushort[] Payload);

    /// <summary>Runs one helper mode on a file. Every failure becomes a <see cref="RawDecodeException"/>.</summary>
    public static Result Run(string file, string mode, params string[] extra) => Run(Locate(), file, mode, extra);

    /// <summary><see cref="Run(string, string, string[])"/> with the helper program given.</summary>
    internal static Result Run(string helper, string file, string mode, string[] extra, bool interruptedBefore = false)
    {
        if (Directory.Exists(file)) throw new RawDecodeException(file, "is a directory, not a RAW file");
        if (!File.Exists(file)) throw new RawDecodeException(file, "file not found");
        if (new FileInfo(file).Length == 0) throw new RawDecodeException(file, "empty file (0 bytes)");
        // LibRaw reports every failed open as "Input/output error" (issue 15): try it here, where the cause is known.
        try { File.OpenHandle(file, FileMode.Open, FileAccess.Read).Dispose(); }
        catch (UnauthorizedAccessException) { throw new RawDecodeException(file, "permission denied (this user may not read it)"); }

        var psi = new ProcessStartInfo(helper)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The helper dies with us (PR_SET_PDEATHSIG); this closes the race of our dying before it set that up.
        psi.Environment["IMAGESPACE_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.ArgumentList.Add(mode);
        psi.ArgumentList.Add(Path.GetFullPath(file));
        foreach (var a in extra) psi.ArgumentList.Add(a);

        using var proc = Process.Start(psi) ?? throw new RawDecodeException(file, "could not start the decoder");
        var stderrTask = proc.StandardError.ReadToEndAsync();
        RawMetadata? meta = null;
        ushort[] payload = [];
        Exception? readError = null;
        // A thread of its own: the read blocks for the whole unpack, and a pool thread held that long delays the rest
        // of the batch's pool work (see OutputMetadata.PrepareAsync).
        var reader = Task.Factory.StartNew(() =>
        {
            try
            {
                using var stdout = new BufferedStream(proc.StandardOutput.BaseStream, 1 << 16);
                string? line = ReadLine(stdout);
                if (line is null) return;
                meta = JsonSerializer.Deserialize(line, RawMetadataJson.Default.RawMetadata) ?? throw new InvalidDataException("empty metadata");
                if (meta.PayloadBytes > 0)
                {
                    if (meta.PayloadBytes > (long)Array.MaxLength * 2) throw new InvalidDataException("image too large");
                    payload = Imaging.LargeArrayPool<ushort>.Rent((int)(meta.PayloadBytes / 2));
                    stdout.ReadExactly(MemoryMarshal.AsBytes(payload.AsSpan()));
                }
            }
            catch (Exception e) { readError = e; }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        if (!proc.WaitForExit(Timeout))
        {
            try { proc.Kill(true); } catch (InvalidOperationException) { }
            throw new RawDecodeException(file, $"decoder did not finish within {Timeout.TotalSeconds:0} s (damaged file?)");
        }
        reader.Wait();
        string stderr = stderrTask.Result.Trim();
        string reason = LastLine(stderr);
        if (proc.ExitCode != 0)
        {
            // Ctrl-C in a terminal reaches the whole process group. The helper ignores SIGINT, but only from its first
            // line on: one started a few ms before the keystroke (exec and linking LibRaw) still dies of it. Nothing of
            // ours sends it SIGINT, so that is not the file's fault: its image is in flight and is finished, once.
            if (proc.ExitCode == 128 + SigInt && !interruptedBefore)
            {
                if (payload.Length > 0) Imaging.LargeArrayPool<ushort>.Return(payload);
                return Run(helper, file, mode, extra, interruptedBefore: true);
            }
            if (proc.ExitCode > 128)
                throw new RawDecodeException(file, $"decoder crashed (signal {proc.ExitCode - 128}): damaged or unsupported file");
            throw new RawDecodeException(file, string.IsNullOrEmpty(reason) ? $"decoder failed (exit {proc.ExitCode})" : Friendly(reason, file));
        }
        if (readError is not null || meta is null)
            throw new RawDecodeException(file, $"unreadable decoder output: {readError?.Message ?? "none"}", readError);
        return new Result(meta, payload);
    }

    private const int SigInt = 2;

    /// <summary>LibRaw's terse errors, made into something a photographer can act on. LibRaw fails to open a file
    /// under 64 bytes, or one whose header points past its end, with "Input/output error", not-a-RAW or RAW cut short
    /// alike: the file's first bytes decide which.</summary>
    private static string Friendly(string reason, string file) => reason switch
    {
        var r when r.Contains("Unsupported file format") => NotRaw + " (" + r + ")",
        var r when r.StartsWith("open:", StringComparison.Ordinal) && r.Contains("Input/output error") && !RawSignature.StartsLikeRaw(file) =>
            NotRaw + " (it does not start like one)",
        var r when r.Contains("Input/output error") => "truncated or unreadable file (" + r + ")",
        _ => reason,
    };

    private const string NotRaw = "not a RAW file, or a RAW format this LibRaw does not support";

    private static string LastLine(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";

    private static string? ReadLine(Stream s)
    {
        var bytes = new List<byte>(4096);
        int b;
        while ((b = s.ReadByte()) >= 0)
        {
            if (b == '\n') return Encoding.UTF8.GetString(bytes.ToArray());
            bytes.Add((byte)b);
            if (bytes.Count > 1 << 20) throw new InvalidDataException("metadata line too long");
        }
        return bytes.Count > 0 ? Encoding.UTF8.GetString(bytes.ToArray()) : null;
    }
}
