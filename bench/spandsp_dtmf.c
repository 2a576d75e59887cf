/*
 * spandsp's DTMF receiver over many channels of 8 kHz audio, for bench/dsp_bench.py.
 *
 * Usage: spandsp_dtmf FILE CHANNELS SAMPLES
 * FILE holds CHANNELS rows of SAMPLES native-endian int16 samples, one row per channel.
 * Every channel gets its own dtmf_rx state and is fed 160 samples (one 20 ms tick) at a
 * time, all channels tick by tick, as a media engine would. Only the processing is timed
 * (process CPU time), so reading the file and starting the process do not count.
 *
 * Prints "cpu_seconds <s>" and then one line per channel: the digits it found ("-" if none).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spandsp.h>

#define TICK 160
#define MAX_FOUND 4096

struct found {
    char digits[MAX_FOUND + 1];
    int len;
};

static void on_digits(void *user_data, const char *digits, int len)
{
    struct found *f = user_data;
    for (int i = 0; i < len && f->len < MAX_FOUND; i++)
        f->digits[f->len++] = digits[i];
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s FILE CHANNELS SAMPLES\n", argv[0]);
        return 2;
    }
    long channels = strtol(argv[2], NULL, 10);
    long samples = strtol(argv[3], NULL, 10);
    if (channels < 1 || samples < TICK) {
        fprintf(stderr, "need at least one channel and one tick of samples\n");
        return 2;
    }
    size_t count = (size_t) channels * (size_t) samples;
    int16_t *audio = malloc(count * sizeof(int16_t));
    struct found *found = calloc((size_t) channels, sizeof(struct found));
    dtmf_rx_state_t **rx = calloc((size_t) channels, sizeof(dtmf_rx_state_t *));
    if (audio == NULL || found == NULL || rx == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    FILE *fp = fopen(argv[1], "rb");
    if (fp == NULL || fread(audio, sizeof(int16_t), count, fp) != count) {
        fprintf(stderr, "cannot read %zu samples from %s\n", count, argv[1]);
        return 1;
    }
    fclose(fp);
    for (long ch = 0; ch < channels; ch++)
        rx[ch] = dtmf_rx_init(NULL, on_digits, &found[ch]);

    double start = cpu_seconds();
    for (long pos = 0; pos + TICK <= samples; pos += TICK) {
        for (long ch = 0; ch < channels; ch++)
            dtmf_rx(rx[ch], audio + (size_t) ch * (size_t) samples + pos, TICK);
    }
    double used = cpu_seconds() - start;

    printf("cpu_seconds %.6f\n", used);
    for (long ch = 0; ch < channels; ch++) {
        found[ch].digits[found[ch].len] = '\0';
        printf("%s\n", found[ch].len ? found[ch].digits : "-");
        dtmf_rx_free(rx[ch]);
    }
    free(rx);
    free(found);
    free(audio);
    return 0;
}
