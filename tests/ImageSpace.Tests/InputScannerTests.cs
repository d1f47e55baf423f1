using ImageSpace.Core.Batch;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Tests;

/// <summary>The sample the warm-up starts exiftool on before the scan has finished.</summary>
public class InputScannerTests
{
    [Fact]
    public void FirstRaw_is_a_named_RAW_or_the_first_RAW_a_folder_holds_outside_hidden_folders()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["a/.hidden"]);
        Directory.CreateDirectory(dir["a/sub"]);
        File.WriteAllText(dir["a/notes.txt"], "x");
        File.WriteAllText(dir["a/.hidden/x.NEF"], "x");
        File.WriteAllText(dir["a/sub/frame.CR2"], "x");
        File.WriteAllText(dir["b.jpg"], "x");

        Assert.Equal(dir["a/sub/frame.CR2"], InputScanner.FirstRaw([dir["a"]]));
        Assert.Equal(dir["a/sub/frame.CR2"], InputScanner.FirstRaw([dir["missing"], dir["a"]]));
        Assert.Equal(dir["a/.hidden/x.NEF"], InputScanner.FirstRaw([dir["a/.hidden/x.NEF"]]));
        Assert.Null(InputScanner.FirstRaw([dir["b.jpg"]]));
        Assert.Null(InputScanner.FirstRaw([dir["a/.hidden/../notes.txt"]]));
        File.Delete(dir["a/sub/frame.CR2"]);
        Assert.Null(InputScanner.FirstRaw([dir["a"]]));
    }

    /// <summary>The batch starts with the first file in natural order (img2 before img10), whatever order the file
    /// system lists them in: that is the file unpacked while the plan is resolved.</summary>
    [Fact]
    public void FirstRaw_of_a_folder_is_the_first_in_the_plans_natural_order()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in/b"]);
        Directory.CreateDirectory(dir["in/a"]);
        foreach (var name in new[] { "in/b/img1.dng", "in/a/img10.dng", "in/a/img2.dng", "in/a/img11.dng", "in/zz_1.dng", "in/aa_9.dng" })
            File.WriteAllText(dir[name], "x");

        // By subfolder (the default), the files directly in the folder form the first group.
        foreach (var grouping in new[] { new GroupingOptions(), new GroupingOptions { By = "prefix" }, new GroupingOptions { By = "none" } })
        {
            string first = DatasetScanner.Scan([dir["in"]], grouping).Files.First().Path;
            Assert.Equal(first, InputScanner.FirstRaw([dir["in"]], grouping));
        }
        Assert.Equal(dir["in/aa_9.dng"], InputScanner.FirstRaw([dir["in"]]));
        Assert.Equal(dir["in/a/img2.dng"], InputScanner.FirstRaw([dir["in"]], new GroupingOptions { By = "none" }));
    }
}
