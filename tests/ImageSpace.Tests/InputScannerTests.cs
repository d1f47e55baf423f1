using ImageSpace.Core.Batch;

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
}
