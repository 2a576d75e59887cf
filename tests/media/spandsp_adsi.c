/*
 * Caller ID audio made by spandsp's ADSI transmitter, so the tests can decode a signal
 * that our own encoder did not make.
 *
 * Usage:
 *   spandsp_adsi class|clip OUT [--alert] TYPE [FIELD=TEXT ...]
 *   spandsp_adsi clip-dtmf OUT DIGITS
 *
 * "class" is Bell 202 (GR-30 CLASS), "clip" is ETSI V.23 (EN 300 659), "clip-dtmf" is
 * DTMF caller ID. TYPE is the message type in hex (80 MDMF, 04 SDMF); each FIELD is a
 * parameter type in hex, 00 for the unstructured SDMF body. spandsp adds the length
 * and checksum. --alert puts spandsp's 2130 + 2750 Hz alert tone first.
 * OUT receives native-endian int16 samples at 8 kHz.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#define BLOCK 160
#define MAX_SAMPLES (8000 * 20)

static int usage(void)
{
    fprintf(stderr, "usage: spandsp_adsi class|clip OUT [--alert] TYPE [FIELD=TEXT ...]\n"
                    "       spandsp_adsi clip-dtmf OUT DIGITS\n");
    return 2;
}

int main(int argc, char **argv)
{
    int standard;
    int arg = 3;
    int alert = 0;
    int len = 0;
    int total = 0;
    uint8_t msg[256];
    int16_t block[BLOCK];
    adsi_tx_state_t *tx;
    FILE *out;

    if (argc < 4)
        return usage();
    if (strcmp(argv[1], "class") == 0)
        standard = ADSI_STANDARD_CLASS;
    else if (strcmp(argv[1], "clip") == 0)
        standard = ADSI_STANDARD_CLIP;
    else if (strcmp(argv[1], "clip-dtmf") == 0)
        standard = ADSI_STANDARD_CLIP_DTMF;
    else
        return usage();
    if (strcmp(argv[arg], "--alert") == 0)
    {
        alert = 1;
        arg++;
    }
    if (arg >= argc)
        return usage();
    tx = adsi_tx_init(NULL, standard);
    if (tx == NULL)
        return 1;
    if (standard == ADSI_STANDARD_CLIP_DTMF)
    {
        len = (int) strlen(argv[arg]);
        if (len >= (int) sizeof(msg))
            return usage();
        memcpy(msg, argv[arg], len);
    }
    else
    {
        len = adsi_add_field(tx, msg, -1, (uint8_t) strtoul(argv[arg++], NULL, 16), NULL, 0);
        for (; arg < argc; arg++)
        {
            const char *text = strchr(argv[arg], '=');
            if (text == NULL)
                return usage();
            text++;
            len = adsi_add_field(tx, msg, len, (uint8_t) strtoul(argv[arg], NULL, 16),
                                 (const uint8_t *) text, (int) strlen(text));
        }
    }
    if (alert)
        adsi_tx_send_alert_tone(tx);
    if (adsi_tx_put_message(tx, msg, len) <= 0)
    {
        fprintf(stderr, "spandsp refused the message\n");
        return 1;
    }
    out = fopen(argv[2], "wb");
    if (out == NULL)
    {
        perror(argv[2]);
        return 1;
    }
    while (total < MAX_SAMPLES)
    {
        int n = adsi_tx(tx, block, BLOCK);
        if (n <= 0)
            break;
        fwrite(block, sizeof(int16_t), (size_t) n, out);
        total += n;
    }
    fclose(out);
    adsi_tx_free(tx);
    printf("%d\n", total);
    return 0;
}
