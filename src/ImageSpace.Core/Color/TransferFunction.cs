namespace ImageSpace.Core.Color;

/// <summary>Transfer functions (linear → encoded) of the output colour spaces, with their exact published forms.</summary>
public abstract record TransferFunction(string Name)
{
    public abstract double Encode(double linear);
    public abstract double Decode(double encoded);
    public bool IsLinear => this is LinearTransfer;

    public static readonly TransferFunction Linear = new LinearTransfer();
    /// <summary>IEC 61966-2-1 sRGB (also Display P3's).</summary>
    public static readonly TransferFunction Srgb = new PiecewiseTransfer("sRGB", 2.4, 1.055, 0.055, 12.92, 0.0031308);
    /// <summary>ITU-R BT.2020 (= BT.709) OETF with the precise constants α = 1.0993…, β = 0.0180…, which make the two
    /// pieces meet (the rounded 1.099 / 0.018 leave a small step).</summary>
    public static readonly TransferFunction Rec709 = new PiecewiseTransfer("BT.2020", 1 / 0.45, 1.09929682680944, 0.09929682680944, 4.5, 0.018053968510807);
    /// <summary>Adobe RGB (1998): pure gamma 563/256.</summary>
    public static readonly TransferFunction AdobeRgb = new GammaTransfer("Adobe RGB", 563.0 / 256);
    /// <summary>ROMM RGB (ProPhoto), ISO 22028-2: gamma 1.8 with a linear toe below 1/512.</summary>
    public static readonly TransferFunction Romm = new PiecewiseTransfer("ROMM", 1.8, 1, 0, 16, 1.0 / 512);

    private sealed record LinearTransfer() : TransferFunction("linear")
    {
        public override double Encode(double v) => v;
        public override double Decode(double v) => v;
    }

    public sealed record GammaTransfer(string N, double Gamma) : TransferFunction(N)
    {
        public override double Encode(double v) => v <= 0 ? 0 : Math.Pow(v, 1 / Gamma);
        public override double Decode(double v) => v <= 0 ? 0 : Math.Pow(v, Gamma);
    }

    /// <summary>encoded = a·linear^(1/γ) − (a − 1) above <paramref name="LinearCut"/>, slope·linear below.</summary>
    public sealed record PiecewiseTransfer(string N, double Gamma, double A, double B, double Slope, double LinearCut) : TransferFunction(N)
    {
        public override double Encode(double v) => v <= LinearCut ? Slope * v : A * Math.Pow(v, 1 / Gamma) - B;
        public override double Decode(double e) => e <= Slope * LinearCut ? e / Slope : Math.Pow((e + B) / A, Gamma);
    }
}
