using System.CommandLine;
using ImageSpace.Core.Synthetic;

namespace ImageSpace.Cli.Commands;

public static class SampleCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("outdir") { Description = "folder to write the sample dataset into" };
        var width = new Option<int>("--width") { Description = "frame width in pixels (600 to 12000)", DefaultValueFactory = _ => 1800 };
        var height = new Option<int>("--height") { Description = "frame height in pixels (400 to 12000)", DefaultValueFactory = _ => 1200 };
        var negative = new Option<bool>("--negative") { Description = "write rolls of synthetic colour negatives instead (chart frame, an orange-dominated frame, a grey-surround frame; and natural/: a chart frame and nine natural-looking frames at -1.3..+1 EV with their scene truth)" };
        var force = new Option<bool>("--force") { Description = "write into a folder that is not empty (files of the same names are replaced)" };
        var cmd = new Command("sample", "Write a small synthetic dataset (DNGs of two groups, a ColorChecker in one frame of each, truth.json).")
        { dir, width, height, negative, force };
        cmd.SetAction(pr =>
        {
            int w = pr.GetValue(width), h = pr.GetValue(height);
            if (w < 600 || h < 400 || w > 12000 || h > 12000) throw new UsageException("--width/--height must be within 600x400 .. 12000x12000");
            string outDir = pr.GetValue(dir)!;
            // The sample's names (objA_0001.dng, truth.json) are common ones: never over a user's files unasked.
            InputFiles.CheckOutputFolder(outDir); // a file, or a folder this user cannot write: one line, as for process
            if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !pr.GetValue(force))
                throw new UsageException($"{outDir}: is not empty (use --force to write the sample into it, replacing files of the same names)");
            string truth = pr.GetValue(negative)
                ? SampleDataset.WriteNegatives(outDir, new Progress<string>(f => Console.WriteLine($"  wrote {f}")), w, h, natural: true)
                : SampleDataset.Write(outDir, new Progress<string>(f => Console.WriteLine($"  wrote {f}")), w, h);
            Console.WriteLine($"Sample dataset in {outDir} (truth: {truth})");
            return Program.Ok;
        });
        return cmd;
    }
}
