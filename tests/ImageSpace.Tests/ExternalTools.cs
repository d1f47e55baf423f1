using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ImageSpace.Tests;

/// <summary>Independent readers the export tests check our files with (Debian packages; see scripts/install-deps.sh).</summary>
public static class ExternalTools
{
    public static (int code, byte[] stdout, string stderr) Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        return (p.ExitCode, ms.ToArray(), err.Result);
    }

    public static bool Has(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, exe)));

    public const string Magick = "convert-im6.q16hdri", Identify = "identify-im6.q16hdri";

    /// <summary>All samples of an integer image as read by ImageMagick (no colour management), 8 or 16 bits.</summary>
    public static ushort[] MagickSamples(string file, int depth)
    {
        Skip.IfNot(Has(Magick), $"{Magick} not installed (apt imagemagick-6.q16hdri)");
        var (code, bytes, err) = Run(Magick, file, "-depth", depth.ToString(), "-endian", "LSB", "rgb:-");
        Assert.True(code == 0, err);
        return depth == 8 ? bytes.Select(b => (ushort)b).ToArray() : MemoryMarshal.Cast<byte, ushort>(bytes).ToArray();
    }

    public static float[] MagickFloats(string file)
    {
        Skip.IfNot(Has(Magick), $"{Magick} not installed (apt imagemagick-6.q16hdri)");
        var (code, bytes, err) = Run(Magick, file, "-define", "quantum:format=floating-point", "-depth", "32", "-endian", "LSB", "rgb:-");
        Assert.True(code == 0, err);
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    private static readonly Lazy<string?> ExrDumpPath = new(BuildExrDump);

    /// <summary>Pixels of an EXR as read by the OpenEXR library (tests/…/Tools/exr_dump.cpp, compiled on first use).</summary>
    public static (int w, int h, float[] rgb) ExrPixels(string file)
    {
        Skip.If(ExrDumpPath.Value is null, "exr_dump could not be built (apt g++ libopenexr-dev pkg-config)");
        var (code, bytes, err) = Run(ExrDumpPath.Value!, file);
        Assert.True(code == 0, err);
        int nl = Array.IndexOf(bytes, (byte)'\n');
        var dims = System.Text.Encoding.ASCII.GetString(bytes, 0, nl).Split(' ');
        return (int.Parse(dims[0]), int.Parse(dims[1]), MemoryMarshal.Cast<byte, float>(bytes.AsSpan(nl + 1)).ToArray());
    }

    private static string? BuildExrDump()
    {
        if (!Has("g++") || !Has("pkg-config")) return null;
        var (pc, flags, _) = Run("pkg-config", "--cflags", "--libs", "OpenEXR");
        if (pc != 0) return null;
        string src = Path.Combine(AppContext.BaseDirectory, "Tools", "exr_dump.cpp");
        string exe = Path.Combine(Path.GetTempPath(), $"imagespace-exr_dump-{Environment.ProcessId}");
        var args = new List<string> { "-O1", "-o", exe, src };
        args.AddRange(System.Text.Encoding.ASCII.GetString(flags).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var (code, _, err) = Run("g++", args.ToArray());
        // One binary per test run: removed when the run ends instead of piling up in /tmp.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(exe);
        return code == 0 ? exe : throw new InvalidOperationException("building exr_dump failed: " + err);
    }

    /// <summary>Tags read by the exiftool command line (numeric values).</summary>
    public static Dictionary<string, string> ExifTags(string file, params string[] tags)
    {
        Skip.IfNot(Has("exiftool"), "exiftool not installed (apt libimage-exiftool-perl)");
        var (code, bytes, err) = Run("exiftool", [.. new[] { "-s", "-s", "-n" }, .. tags.Select(t => "-" + t), file]);
        Assert.True(code == 0, err);
        return System.Text.Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
    }
}
