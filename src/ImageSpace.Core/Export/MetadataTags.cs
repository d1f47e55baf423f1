using ImageSpace.Core.Color;

namespace ImageSpace.Core.Export;

/// <summary>Which tags of the RAW an output gets, and which are set to describe the output itself (exiftool
/// arguments). Copied: every EXIF/XMP/IPTC/GPS/maker-note tag the format can carry. Left out: what describes the RAW
/// file rather than the picture (DNG structure and raw-processing tags, thumbnails, sizes), the develop settings of
/// other tools (Adobe Camera Raw/Lightroom, darktable), and the RAW's edit history. Set: Software, our
/// ImageDescription, Orientation 1 (pixels were already rotated at decode), and the EXIF ColorSpace/InteropIndex pair
/// that matches the output's colour space (EXIF 2.32 §4.6.5 and DCF 2.0 §5.6: ColorSpace 1 only for sRGB;
/// 0xFFFF "uncalibrated" otherwise; in a JPEG, the DCF format, InteropIndex "R98" for sRGB and "R03" for Adobe RGB).</summary>
public static class MetadataTags
{
    public const ushort ExifSrgb = 1, ExifUncalibrated = 0xFFFF;

    /// <summary>EXIF ColorSpace value and InteropIndex (null: none) for an output colour space.</summary>
    public static (ushort colorSpace, string? interopIndex) ExifColorSpace(OutputColorSpace space) => space.Id switch
    {
        "srgb" => (ExifSrgb, "R98"),
        "adobe-rgb" => (ExifUncalibrated, "R03"),
        _ => (ExifUncalibrated, null),
    };

    public static List<string> Arguments(string source, string format, OutputColorSpace space, string description)
    {
        var (colorSpace, interop) = ExifColorSpace(space);
        if (format != "jpg") interop = null; // the interoperability IFD belongs to DCF, which is JPEG
        var args = new List<string>
        {
            "-m", "-TagsFromFile", source,
            "-exif:all", "-xmp:all", "-iptc:all", "-gps:all", "-makernotes:all",
            // Structural and raw-processing tags of the RAW/DNG must not describe our output.
            "--Orientation", "--DNG*", "--*ColorMatrix*", "--*ForwardMatrix*", "--CameraCalibration*", "--AsShot*",
            "--BlackLevel*", "--WhiteLevel", "--CFA*", "--Linearization*", "--DefaultCrop*", "--ActiveArea",
            "--UniqueCameraModel", "--CalibrationIlluminant*", "--AnalogBalance", "--BaselineExposure", "--ICC_Profile",
            "--ImageWidth", "--ImageHeight", "--ExifImageWidth", "--ExifImageHeight", "--BitsPerSample", "--Compression",
            "--PhotometricInterpretation", "--SamplesPerPixel", "--PlanarConfiguration", "--StripOffsets",
            "--StripByteCounts", "--RowsPerStrip", "--SubfileType", "--ThumbnailImage", "--PreviewImage", "--JpgFromRaw",
            // Set below for the output, not taken from the RAW (the camera's description is not ours).
            "--ImageDescription", "--ColorSpace", "--InteropIndex", "--InteropVersion",
            // Develop settings and history of other RAW tools describe another rendering, not this one; XMP copies of
            // TIFF structure (orientation, sizes) and of the colour space would contradict the file.
            "--XMP-crs:all", "--XMP-crss:all", "--XMP-darktable:all", "--XMP-xmpMM:all", "--XMP-tiff:all",
            "--XMP-exif:ColorSpace", "--XMP-exif:PixelXDimension", "--XMP-exif:PixelYDimension",
            "--XMP-photoshop:ICCProfileName", "--XMP-photoshop:ColorMode",
        };
        if (format == "tiff")
        {
            // Setting a tag by name makes exiftool load every tag table that has a tag of that name: Software and
            // ColorSpace alone load the QuickTime, MIE, Nikon, Sony, Pentax, Olympus and Minolta modules (~2 MB of
            // Perl, ~0.1 s CPU per process, measured in notes/issue17b-s19-readme.md). For a TIFF nothing is set
            // here: our writer's IFD0 gives Software, ImageDescription and Orientation (its entries win the merge),
            // and the template carries ExifIFD ColorSpace (OutputMetadata), so the RAW's Software is just left out.
            args.Add("--Software");
            return args;
        }
        args.AddRange(["-Orientation#=1", $"-Software={Versions.Software}", $"-EXIF:ImageDescription={OneLine(description)}",
            $"-ExifIFD:ColorSpace#={colorSpace}"]);
        if (interop is not null) args.Add($"-InteropIndex={interop}");
        return args;
    }

    /// <summary>exiftool reads one argument per line: control characters (a file name may hold a newline) become '?'.</summary>
    private static string OneLine(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
