#!/usr/bin/env bash
# One command: install dependencies, build `imagespace` into ./out, write the synthetic sample dataset and process it.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
dotnet build src/ImageSpace.Cli -c Release -o out -v quiet -nologo
./out/imagespace sample sample-data
./out/imagespace info sample-data/turntable_A/objA_0001.dng
./out/imagespace process sample-data -o sample-output --overwrite
echo "Done: outputs in sample-output/ (16-bit linear Rec.2020 TIFFs)"
