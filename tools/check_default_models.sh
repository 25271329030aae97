#!/usr/bin/env bash
# Rebuild the default models from samples/images/ with the package's own trainer and check
# that they equal the shipped ones byte for byte (spec §15.7).
#
#   tools/check_default_models.sh [--lcae PATH]     (default: builds .build/release/lcae)
set -euo pipefail
cd "$(dirname "$0")/.."

lcae=""
if [ "${1:-}" = "--lcae" ]; then lcae="$2"; fi
if [ -z "$lcae" ]; then
    swift build -c release --product lcae >/dev/null
    lcae=.build/release/lcae
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for colour in rgb grey; do
    "$lcae" train-model samples/images/*.png --colour "$colour" --threads 2 -o "$out/default-$colour.lcaem" 2>/dev/null | tail -1
    if cmp -s "$out/default-$colour.lcaem" "Sources/LCAE/Resources/default-$colour.lcaem"; then
        echo "default-$colour.lcaem: rebuilt identical"
    else
        echo "default-$colour.lcaem: the rebuilt model differs from the shipped one" >&2
        status=1
    fi
done
exit $status
