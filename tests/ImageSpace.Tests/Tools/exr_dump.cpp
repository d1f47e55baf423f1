// Independent EXR reader for the tests: the OpenEXR library itself (apt libopenexr-dev) reads a file written by our
// own ExrWriter and prints "width height" then every pixel's R G B as float32 (binary, little-endian) to stdout.
#include <ImfInputFile.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <cstdio>
#include <vector>
int main(int argc, char **argv)
{
    if (argc != 2) { std::fprintf(stderr, "usage: exr_dump FILE\n"); return 2; }
    try
    {
        // FLOAT slices: the library converts HALF files to float exactly and leaves FLOAT files untouched.
        Imf::InputFile in(argv[1]);
        Imath::Box2i dw = in.header().dataWindow();
        int w = dw.max.x - dw.min.x + 1, h = dw.max.y - dw.min.y + 1;
        std::vector<float> px((size_t)w * h * 3);
        Imf::FrameBuffer fb;
        const char *names[3] = {"R", "G", "B"};
        for (int c = 0; c < 3; c++)
        {
            char *base = (char *)(px.data() + c) - (dw.min.x + (size_t)dw.min.y * w) * 3 * sizeof(float);
            fb.insert(names[c], Imf::Slice(Imf::FLOAT, base, 3 * sizeof(float), (size_t)w * 3 * sizeof(float)));
        }
        in.setFrameBuffer(fb);
        in.readPixels(dw.min.y, dw.max.y);
        std::printf("%d %d\n", w, h);
        std::fflush(stdout);
        std::fwrite(px.data(), sizeof(float), px.size(), stdout);
    }
    catch (const std::exception &e) { std::fprintf(stderr, "exr_dump: %s\n", e.what()); return 1; }
    return 0;
}
