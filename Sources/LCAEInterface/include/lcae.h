/* The C interface of LCAE: read, write, check and inspect .lcae streams (spec/lcae.md).
 *
 * Link with the dynamic library built by `swift build -c release --product LCAEInterface`
 * (.build/release/libLCAEInterface.so). Every function is safe to call from several threads
 * at once; none of them traps on bad input.
 *
 * Errors: every function but lcae_free and lcae_version returns 0 on success. On failure it
 * returns 1 and, if `error` is not NULL, sets *error to a NUL-terminated JSON object
 *     {"code": "crcMismatch", "offset": 1234, "clause": "§5.3", "message": "..."}
 * where code is the stable code of spec §9, or of the layer that failed (the codec's
 * unsupportedModel, unsupportedImage or badOption, the entropy coder's, the PNG reader's;
 * internalError for anything else), offset the byte offset in the stream (-1 when the error
 * is not about the stream's bytes) and clause the spec section the message cites (or null).
 *
 * Memory: every buffer a function hands out (samples, streams, values, JSON) is allocated
 * with malloc and belongs to the caller, who frees it with lcae_free. Outputs are written
 * only on success, except lcae_inspect's JSON, which describes broken streams too.
 */
#ifndef LCAE_H
#define LCAE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "1.0" (a static string: do not free). */
const char *lcae_version(void);

/* Frees a buffer that a function of this interface handed out. NULL is ignored. */
void lcae_free(void *pointer);

/* The inspection report of `lcae inspect --json` (schema lcae-inspect/1, spec §11.1) in *json.
 * Returns 0 for a stream that reads without error, 1 for a broken one (the report says what
 * was read and the error); *error is set only when the report itself cannot be made. */
int32_t lcae_inspect(const uint8_t *data, size_t size, int32_t verbose, char **json, char **error);

/* Decodes an image stream (spec §16.4) with the model it is bound to, found among
 * `model_paths` by SHA-256, and with table files `table_paths` for references to tables
 * outside the model. *samples holds height × width × channels samples, row by row: one byte
 * each for 8-bit images, two (little-endian) for 16-bit. */
int32_t lcae_decode_image(const uint8_t *data, size_t size, const char *const *model_paths, int32_t model_count,
                          const char *const *table_paths, int32_t table_count, int32_t threads, uint8_t **samples,
                          int32_t *width, int32_t *height, int32_t *channels, int32_t *bit_depth, char **error);

/* Encodes 8-bit samples (height × width × channels, channels 1 or 3) with the model at
 * model_path: quality 1…100 sets the latent step unless lambda > 0 does; rdoq nonzero runs
 * RDOQ with effort 1…3 and `passes` passes. */
int32_t lcae_encode_image(const uint8_t *samples, int32_t width, int32_t height, int32_t channels, int32_t quality,
                          double lambda, int32_t rdoq, int32_t effort, int32_t passes, const char *model_path,
                          int32_t threads, uint8_t **stream, size_t *stream_size, char **error);

/* Encodes an integer latent (channels × height × width int32, channel-major) as a latent
 * stream (spec chapter 12). With tables_path, placement 0 keeps the smaller of those tables
 * referenced and tables fitted in-band, 1 carries the given tables in-band, 2 references
 * them; without, tables are fitted to the latent and carried in-band. lanes 1, 2, 4 or 8. */
int32_t lcae_encode_latents(const int32_t *values, int32_t channels, int32_t height, int32_t width, const char *tables_path,
                            int32_t placement, int32_t lanes, int32_t substreams, int32_t threads, uint8_t **stream,
                            size_t *stream_size, char **error);

/* Decodes the first integer latent of a stream (the external-decoder contract, spec §13.4):
 * *values holds channels × height × width int32. Tables a stream references are looked up in
 * `table_paths` and in the table sets of the models at `model_paths`. */
int32_t lcae_decode_latents(const uint8_t *data, size_t size, const char *const *table_paths, int32_t table_count,
                            const char *const *model_paths, int32_t model_count, int32_t threads, int32_t **values,
                            int32_t *channels, int32_t *height, int32_t *width, char **error);

/* Checks a stream against the whole spec (spec §13.3: structure, a full decode, the hash
 * chunks) and sets *report to {"valid": bool, "code", "offset", "clause", "message",
 * "latent_sha256": [...], "image_sha256"}. Returns 0 whether or not the stream conforms;
 * 1 only when no report could be made. */
int32_t lcae_check(const uint8_t *data, size_t size, const char *const *model_paths, int32_t model_count,
                   const char *const *table_paths, int32_t table_count, char **report, char **error);

#ifdef __cplusplus
}
#endif

#endif
