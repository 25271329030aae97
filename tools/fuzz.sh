#!/usr/bin/env bash
# Build the libFuzzer targets of Fuzz/ (address sanitizer) and run each for a bounded time,
# seeded with the sample streams, tables and the conformance corpus.
#
#   tools/fuzz.sh [--seconds N] [--jobs J] [TARGET...]
#
# Targets: FuzzContainer FuzzTables FuzzRans FuzzChain FuzzLatents FuzzPNG FuzzRec FuzzImage FuzzModel
# (default: all).
# Crash reproducers go to fuzz-out/TARGET/ (git-ignored); the script exits 1 if any target
# crashed, and prints each target's executions and coverage.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
jobs=1
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(FuzzContainer FuzzTables FuzzRans FuzzChain FuzzLatents FuzzPNG FuzzRec FuzzImage FuzzModel)

swift build --package-path Fuzz -c release --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >/dev/null
bin=.build-fuzz/release

seed() {
    local target="$1" dir="$2"
    mkdir -p "$dir"
    case "$target" in
        FuzzTables)
            for f in samples/latents/*.tbl samples/conformance/tables/*.tbl; do
                cp "$f" "$dir/$(basename "$f")"
                # The body alone, as a table body parser sees it (spec §12.2.1: after 12 bytes, before the CRC).
                head -c -4 "$f" | tail -c +13 > "$dir/$(basename "$f").body"
            done ;;
        FuzzPNG)
            cp Tests/LCAETests/Vectors/png/*.png "$dir/" ;;
        FuzzRec)
            # RECC payloads of the REC conformance streams, each after two bytes that give its
            # latent's dimension count minus one.
            python3 tools/rec_reference.py payloads "$dir" ;;
        FuzzModel)
            # The conformance models and the malformed ones (the default models are larger than
            # -max_len: their first 64 KiB still seed the header and layer parsers).
            find samples/conformance/models samples/conformance/invalid-models Sources/LCAE/Resources \
                -name '*.lcaem' | while read -r f; do cp "$f" "$dir/$(echo "$f" | tr / _)"; done ;;
        FuzzImage)
            # The image streams of the corpus: HEAD's colour_format (byte 30) is neither 0 nor absent.
            find samples/conformance -name stream.lcae | while read -r f; do
                [ "$(od -An -tu1 -j30 -N1 "$f" 2>/dev/null | tr -d ' ')" = "0" ] || cp "$f" "$dir/$(echo "$f" | tr / _)"
            done ;;
        FuzzRans|FuzzChain)
            printf '\x05\x0c\x10\x01\x01\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00' > "$dir/small" ;;
        *)
            cp samples/container/*.lcae samples/latents/*.lcae "$dir/"
            find samples/conformance -name stream.lcae | while read -r f; do cp "$f" "$dir/$(echo "$f" | tr / _)"; done ;;
    esac
}

failed=0
run() {
    local target="$1" corpus out
    corpus=$(mktemp -d)
    out="fuzz-out/$target"
    mkdir -p "$out"
    seed "$target" "$corpus"
    if "$bin/$target" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
        -artifact_prefix="$out/" -print_final_stats=1 > "$out/log.txt" 2>&1; then
        local runs cov
        runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/log.txt" | grep -o '[0-9]*$' || echo "?")
        cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$out/log.txt" | tail -1 || echo "cov: ?")
        echo "$target: no crash in ${seconds} s, $runs executions, $cov"
    else
        echo "$target: CRASH, see $out/log.txt and the reproducer in $out/"
        return 1
    fi
    rm -rf "$corpus"
}

pids=()
for target in "${targets[@]}"; do
    run "$target" & pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
