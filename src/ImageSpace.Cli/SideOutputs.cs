using System.CommandLine;
using ImageSpace.Core.Batch;
using ImageSpace.Core.Export;

namespace ImageSpace.Cli;

/// <summary>The files a command writes besides images (a calibration profile, a .cube LUT, a matrix, a roll profile, an
/// exposure recipe): checked before any work, as recipe init always did. An existing file is replaced only with
/// --force, and an input never (a RAW given to -o or --cube used to be replaced by the profile).</summary>
public static class SideOutputs
{
    public static Option<bool> ForceOption() => new("--force") { Description = "replace existing output files (an input is never replaced)" };

    /// <param name="outputs">the files to be written (nulls are options not given)</param>
    /// <param name="inputs">the command's inputs: files, or folders whose RAW and scan files are inputs (nulls are
    /// options not given)</param>
    public static void Check(IEnumerable<string?> outputs, IEnumerable<string?> inputs, bool force)
    {
        var inputFiles = new HashSet<string>(StringComparer.Ordinal);
        var inputFolders = new List<string>();
        foreach (var input in inputs.OfType<string>())
        {
            if (RealPath.Of(input) is not { } real) continue;
            if (Directory.Exists(real)) inputFolders.Add(real);
            else inputFiles.Add(real);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var output in outputs.OfType<string>())
        {
            if (Directory.Exists(output)) throw new UsageException($"{output}: is a folder, not a file to write");
            string real = RealPath.OfFuture(output);
            if (!seen.Add(real)) throw new UsageException($"{output}: named for two outputs");
            string ext = Path.GetExtension(real);
            bool imageFile = InputScanner.RawExtensions.Contains(ext) || InputScanner.PhotoExtensions.Contains(ext);
            if (inputFiles.Contains(real) || (imageFile && File.Exists(real) && inputFolders.Any(f => RealPath.IsInside(real, f))))
                throw new UsageException($"{output}: is one of the inputs; refused (inputs are never replaced)");
            if (File.Exists(output) && !force) throw new UsageException($"{output} exists (use --force to replace it)");
        }
    }
}
