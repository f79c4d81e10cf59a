#!/usr/bin/env bash
# The whole test suite, from a fresh clone: every crate's unit, integration and property tests, then the
# interop test that drives soc-sim with the official Huawei Cloud Python SDK, then the report test that
# reads socdrift's reports with real consumers (JSON Schema, junitparser) and runs docs/ci.md (both make
# their own venv), then the review page's test in headless Chromium, which also checks the Markdown's
# Mermaid graphs with Mermaid itself (it installs Chromium and fetches Mermaid when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --locked --no-fail-fast
bash scripts/sdk-interop.sh
bash scripts/ci-recipes.sh
bash scripts/review-page.sh
