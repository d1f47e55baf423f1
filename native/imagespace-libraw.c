/*
 * imagespace-libraw: the one place Image Space touches LibRaw.
 *
 * Why a separate process and not P/Invoke: LibRaw is C code that parses hostile files. A crash (or an endless loop)
 * inside it must not take a batch of thousands of images down with it, and a .NET process cannot survive a SIGSEGV
 * in native code. Run as a child process, a bad file costs exactly that file. Streaming the mosaic through a pipe costs
 * ~20 ms for 24 MP, far below the unpack itself.
 *
 * Why C compiled by the build: it reads LibRaw's structs by name against the installed headers, so no struct offsets
 * of one LibRaw version are hard-coded anywhere.
 *
 * Protocol (stdout): one line of JSON (metadata), then, for modes that carry pixels, exactly
 * payload_bytes bytes of little-endian uint16 samples. Errors: one line on stderr, exit code 2 (LibRaw error) or 3
 * (usage). Modes:
 *   info FILE                 metadata only (no unpack)
 *   raw  FILE [--half]        Bayer: visible-area CFA mosaic (payload "bayer", 1 sample/pixel, not black-subtracted).
 *                             X-Trans (6x6 pattern, full size only): the same, payload "xtrans"; the pattern in
 *                             "xtrans" (36 colours, visible-area coordinates) and the black level per pattern position
 *                             in "black6".
 *                             Anything else (linear DNG, Foveon, 4-colour, X-Trans at half size): LibRaw's own processing in
 *                             camera space, linear, no WB (payload "rgb", 3 samples/pixel, black-subtracted, white=65535)
 *   rgb  FILE [--half] [--mul R G B G2] [--quality Q] [--no-adjust-maximum]
 *                             LibRaw's own processing (camera RGB, linear, 16-bit); used as a fallback and as the
 *                             independent reference our C# pipeline is compared with in tests and bench.
 */
#include <libraw/libraw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <sys/prctl.h>

static void json_str(const char *key, const char *s, int comma)
{
    printf("\"%s\":\"", key);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
    {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) printf("\\u%04x", *p); /* non-ASCII as Latin-1 keeps the JSON valid */
        else putchar(*p);
    }
    printf("\"%s", comma ? "," : "");
}

static void json_floats(const char *key, const float *v, int n, int comma)
{
    printf("\"%s\":[", key);
    for (int i = 0; i < n; i++) printf("%s%.9g", i ? "," : "", (double)v[i]);
    printf("]%s", comma ? "," : "");
}

/* LibRaw 0.20 does not set the dng "parsedfields" flags for every file, so presence is judged by the values. */
static int any_nonzero(const float *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i] != 0.0f) return 1;
    return 0;
}

static void print_metadata(libraw_data_t *lr, const char *payload, int out_w, int out_h, int samples)
{
    libraw_iparams_t *id = &lr->idata;
    libraw_image_sizes_t *sz = &lr->sizes;
    libraw_colordata_t *co = &lr->color;
    printf("{\"libraw\":\"%s\",", libraw_version());
    json_str("make", id->make, 1);
    json_str("model", id->model, 1);
    json_str("normalized_make", id->normalized_make, 1);
    json_str("normalized_model", id->normalized_model, 1);
    const char *lens = lr->lens.Lens[0] ? lr->lens.Lens : lr->lens.makernotes.Lens;
    json_str("lens", lens, 1);
    printf("\"dng_version\":%u,\"colors\":%d,\"filters\":%u,", id->dng_version, id->colors, id->filters);
    json_str("cdesc", id->cdesc, 1);
    printf("\"raw_width\":%d,\"raw_height\":%d,\"width\":%d,\"height\":%d,\"top_margin\":%d,\"left_margin\":%d,"
           "\"flip\":%d,\"pixel_aspect\":%.6g,",
           sz->raw_width, sz->raw_height, sz->width, sz->height, sz->top_margin, sz->left_margin, sz->flip,
           sz->pixel_aspect);
    printf("\"iso\":%.6g,\"shutter\":%.9g,\"aperture\":%.6g,\"focal_length\":%.6g,", lr->other.iso_speed,
           lr->other.shutter, lr->other.aperture, lr->other.focal_len);
    char date[32] = "";
    if (lr->other.timestamp > 0)
    {
        /* LibRaw turned the EXIF wall-clock string into time_t with mktime (local time); undo that the same way. */
        struct tm tmv;
        time_t t = lr->other.timestamp;
        if (localtime_r(&t, &tmv)) strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tmv);
    }
    json_str("date", date, 1);

    /* Black level per position of the 2x2 CFA cell (visible-area coordinates), folded from LibRaw's three parts:
       the common black, the per-colour cblack[0..3] and the repeating pattern cblack[6..]. */
    unsigned bl[4];
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 2; c++)
        {
            int color = id->filters ? libraw_COLOR(lr, r, c) : 0;
            unsigned b = co->black + (color >= 0 && color < 4 ? co->cblack[color] : 0);
            if (co->cblack[4] && co->cblack[5])
                b += co->cblack[6 + (r % co->cblack[4]) * co->cblack[5] + (c % co->cblack[5])];
            bl[r * 2 + c] = b;
        }
    printf("\"black\":[%u,%u,%u,%u],\"white\":%u,", bl[0], bl[1], bl[2], bl[3], co->maximum);
    int cfa[4];
    for (int i = 0; i < 4; i++)
    {
        int c = id->filters ? libraw_COLOR(lr, i / 2, i % 2) : -1;
        cfa[i] = c == 3 ? 1 : c; /* LibRaw numbers the second green 3; to us it is green */
    }
    printf("\"cfa\":[%d,%d,%d,%d],", cfa[0], cfa[1], cfa[2], cfa[3]);
    if (id->filters == 9)
    {
        /* X-Trans: LibRaw's xtrans[][] is in visible-area coordinates (its fcol() indexes it with image row/col). */
        printf("\"xtrans\":[");
        for (int i = 0; i < 36; i++) printf("%s%d", i ? "," : "", id->xtrans[i / 6][i % 6]);
        printf("],\"black6\":[");
        for (int i = 0; i < 36; i++)
        {
            int r = i / 6, c = i % 6, color = id->xtrans[r][c];
            unsigned b = co->black + (color >= 0 && color < 4 ? co->cblack[color] : 0);
            if (co->cblack[4] && co->cblack[5]) b += co->cblack[6 + (r % co->cblack[4]) * co->cblack[5] + (c % co->cblack[5])];
            printf("%s%u", i ? "," : "", b);
        }
        printf("],");
    }
    json_floats("cam_mul", co->cam_mul, 4, 1);
    json_floats("pre_mul", co->pre_mul, 4, 1);
    json_floats("rgb_cam", &co->rgb_cam[0][0], 12, 1);
    json_floats("cam_xyz", &co->cam_xyz[0][0], 12, 1);
    printf("\"dng_color\":[");
    for (int i = 0; i < 2; i++)
    {
        libraw_dng_color_t *d = &co->dng_color[i];
        printf("%s{\"illuminant\":%d,\"has_color_matrix\":%s,\"has_forward_matrix\":%s,", i ? "," : "",
               d->illuminant, any_nonzero(&d->colormatrix[0][0], 9) ? "true" : "false",
               any_nonzero(&d->forwardmatrix[0][0], 12) ? "true" : "false");
        json_floats("color_matrix", &d->colormatrix[0][0], 9, 1);
        float fm[9];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) fm[r * 3 + c] = d->forwardmatrix[r][c];
        json_floats("forward_matrix", fm, 9, 0);
        printf("}");
    }
    printf("],");
    json_floats("as_shot_neutral", co->dng_levels.asshotneutral, 3, 1);
    printf("\"has_as_shot_neutral\":%s,", any_nonzero(co->dng_levels.asshotneutral, 3) ? "true" : "false");
    printf("\"payload\":\"%s\",\"out_width\":%d,\"out_height\":%d,\"samples\":%d,\"payload_bytes\":%lld}\n", payload,
           out_w, out_h, samples, (long long)out_w * out_h * samples * 2);
}

static int fail(libraw_data_t *lr, const char *what, int code)
{
    fprintf(stderr, "%s: %s\n", what, code ? libraw_strerror(code) : "unknown error");
    if (lr) libraw_close(lr);
    return 2;
}

/* LibRaw reports damaged compressed data through a callback and carries on with garbage; to us that is a failure. */
static int data_error_offset = -1;
static void on_data_error(void *data, const char *file, const int offset)
{
    (void)data;
    (void)file;
    if (data_error_offset < 0) data_error_offset = offset < 0 ? 0 : offset;
}

/* Stripped or truncated files (metadata-only test files, interrupted copies) still "decode" in LibRaw into blank or
   streaky images. No raw encoding stores a frame in under half a bit per pixel, so a file smaller than that cannot
   hold the image it describes. */
static int too_small_for_image(libraw_data_t *lr, const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long long size = ftell(f);
    fclose(f);
    long long pixels = (long long)lr->sizes.raw_width * lr->sizes.raw_height;
    long long needed = pixels / 16;
    /* Uncompressed data (LibRaw's flat-data decoders, and the Coolscan's 8/16-bit RGB) has an exact size, and LibRaw
       reads past the end of a cut file as zeros without a data error: the file must hold at least samples x bits. */
    libraw_decoder_info_t d;
    if (libraw_get_decoder_info(lr, &d) == LIBRAW_SUCCESS && lr->color.raw_bps > 0 &&
        ((d.decoder_flags & LIBRAW_DECODER_FLATDATA) || (d.decoder_name && strstr(d.decoder_name, "coolscan"))))
    {
        long long samples = pixels * (lr->idata.filters ? 1 : lr->idata.colors);
        if (samples * lr->color.raw_bps / 8 > needed) needed = samples * lr->color.raw_bps / 8;
    }
    if (size >= needed) return 0;
    fprintf(stderr, "file too small for its %dx%d image (%lld bytes): metadata-only, stripped or truncated\n",
            lr->sizes.raw_width, lr->sizes.raw_height, size);
    return 1;
}

static int is_xtrans(libraw_data_t *lr)
{
    return lr->rawdata.raw_image && lr->idata.filters == 9 && lr->idata.colors == 3;
}

static int is_plain_bayer(libraw_data_t *lr)
{
    /* filters < 1000 are X-Trans (9) and other non-2x2 layouts; dcraw/LibRaw convention. */
    return lr->rawdata.raw_image && lr->idata.filters >= 1000 && lr->idata.colors == 3;
}

/* Files LibRaw unpacks as ready-made 3/4-component pixels (film-scanner NEFs, sRAW, linear DNG) can hold values above
   the white level it states (the Coolscan NEF: 8-bit data linearised to 16 bits, white still 255, so LibRaw's own
   output is almost all clipped). Saturation is then the data's real range. */
static void fix_component_white_level(libraw_data_t *lr)
{
    libraw_rawdata_t *rd = &lr->rawdata;
    const unsigned short *px = rd->color4_image ? &rd->color4_image[0][0] : rd->color3_image ? &rd->color3_image[0][0] : NULL;
    if (!px) return;
    size_t n = (size_t)lr->sizes.raw_width * lr->sizes.raw_height * (rd->color4_image ? 4 : 3);
    unsigned short mx = 0;
    for (size_t i = 0; i < n; i++)
        if (px[i] > mx) mx = px[i];
    if (mx > lr->color.maximum) lr->params.user_sat = mx > 0x7fff ? 0xffff : mx;
}

static int write_processed(libraw_data_t *lr, int half, const float *mul, int quality, int adjust_max)
{
    libraw_output_params_t *p = &lr->params;
    fix_component_white_level(lr);
    p->output_color = 0; /* camera RGB: the colour transform is ours */
    p->output_bps = 16;
    p->gamm[0] = 1.0;
    p->gamm[1] = 1.0;
    p->no_auto_bright = 1;
    p->highlight = 0;
    p->user_flip = 0; /* orientation is applied by the caller, once */
    p->half_size = half;
    p->user_qual = quality;
    if (!adjust_max) p->adjust_maximum_thr = 0.0f;
    for (int i = 0; i < 4; i++) p->user_mul[i] = mul ? mul[i] : 1.0f;
    int rc = libraw_dcraw_process(lr);
    if (rc != LIBRAW_SUCCESS) return fail(lr, "process", rc);
    int err = 0;
    libraw_processed_image_t *img = libraw_dcraw_make_mem_image(lr, &err);
    if (!img) return fail(lr, "make_mem_image", err);
    if (img->colors != 3 || img->bits != 16)
    {
        fprintf(stderr, "process: unexpected output (%d colours, %d bits)\n", img->colors, img->bits);
        libraw_dcraw_clear_mem(img);
        libraw_close(lr);
        return 2;
    }
    print_metadata(lr, "rgb", img->width, img->height, 3);
    fwrite(img->data, 1, img->data_size, stdout);
    libraw_dcraw_clear_mem(img);
    return 0;
}

int main(int argc, char **argv)
{
    /* Die with Image Space, even when it is killed with SIGKILL and cannot clean up (a decode of a hostile file can
     * run for minutes). The death signal follows the thread that started us (prctl(2)); that .NET thread waits in
     * WaitForExit for our whole life, so it is the process's lifetime here. IMAGESPACE_PARENT_PID closes the race of
     * a parent that died before the prctl. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* Ctrl-C in a terminal goes to the whole foreground process group, us included. Image Space then lets the images
     * in flight finish, and this unpack is one of them: the signal is Image Space's to act on, not ours. */
    signal(SIGINT, SIG_IGN);
    const char *parent = getenv("IMAGESPACE_PARENT_PID");
    if (parent && atol(parent) != (long)getppid()) return 3;
    if (argc < 3)
    {
        fprintf(stderr, "usage: imagespace-libraw info|raw|rgb FILE [--half] [--mul R G B G2] [--quality Q] "
                        "[--no-adjust-maximum]\n");
        return 3;
    }
    const char *mode = argv[1], *file = argv[2];
    int half = 0, quality = 3, adjust_max = 1, have_mul = 0;
    float mul[4] = {1, 1, 1, 1};
    for (int i = 3; i < argc; i++)
    {
        if (!strcmp(argv[i], "--half")) half = 1;
        else if (!strcmp(argv[i], "--no-adjust-maximum")) adjust_max = 0;
        else if (!strcmp(argv[i], "--quality") && i + 1 < argc) quality = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mul") && i + 4 < argc)
        {
            for (int k = 0; k < 4; k++) mul[k] = (float)atof(argv[++i]);
            have_mul = 1;
        }
        else
        {
            fprintf(stderr, "unknown argument: %s\n", argv[i]);
            return 3;
        }
    }
    /* Large writes through a large pipe: 48 MB of mosaic in a few hundred syscalls instead of thousands. */
    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
#ifdef F_SETPIPE_SZ
    fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20); /* best effort; fails harmlessly on files and /dev/null */
#endif
    libraw_data_t *lr = libraw_init(0);
    if (!lr) return fail(NULL, "init", 0);
    libraw_set_dataerror_handler(lr, on_data_error, NULL);
    int rc = libraw_open_file(lr, file);
    if (rc != LIBRAW_SUCCESS) return fail(lr, "open", rc);
    if (!strcmp(mode, "info"))
    {
        print_metadata(lr, "none", 0, 0, 0);
        libraw_close(lr);
        return 0;
    }
    if (too_small_for_image(lr, file))
    {
        libraw_close(lr);
        return 2;
    }
    rc = libraw_unpack(lr);
    if (rc != LIBRAW_SUCCESS) return fail(lr, "unpack", rc);
    if (data_error_offset >= 0)
    {
        fprintf(stderr, "damaged or truncated raw data (LibRaw: data corrupted at byte %d)\n", data_error_offset);
        libraw_close(lr);
        return 2;
    }
    int status = 0;
    if (!strcmp(mode, "raw") && (is_plain_bayer(lr) || (is_xtrans(lr) && !half)))
    {
        libraw_image_sizes_t *s = &lr->sizes;
        int w = s->width, h = s->height;
        if (s->top_margin + h > s->raw_height || s->left_margin + w > s->raw_width)
            return fail(lr, "unpack", LIBRAW_DATA_ERROR);
        print_metadata(lr, is_xtrans(lr) ? "xtrans" : "bayer", w, h, 1);
        const unsigned short *src = lr->rawdata.raw_image;
        size_t pitch = s->raw_pitch / 2;
        for (int r = 0; r < h; r++)
            fwrite(src + (size_t)(r + s->top_margin) * pitch + s->left_margin, 2, (size_t)w, stdout);
    }
    else if (!strcmp(mode, "raw"))
        status = write_processed(lr, half, NULL, 3, adjust_max);
    else if (!strcmp(mode, "rgb"))
        status = write_processed(lr, half, have_mul ? mul : NULL, quality, adjust_max);
    else
    {
        fprintf(stderr, "unknown mode: %s\n", mode);
        libraw_close(lr);
        return 3;
    }
    if (status) return status; /* write_processed closed the handle */
    fflush(stdout);
    libraw_close(lr);
    return 0;
}
