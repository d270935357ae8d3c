#!/usr/bin/env bash
# The script part of action.yml: run `contracts gate` with the action's inputs, record the
# outcome for the later steps, and never stop before the reports are uploaded.
#
# Inputs (environment): INPUT_APIS (space- or comma-separated), INPUT_LIVE (true/false),
# INPUT_CONFIG (a contracts.toml or pyproject.toml), INPUT_REPORT_DIR, INPUT_ARGS (more gate
# flags, split on spaces). Outputs ($GITHUB_OUTPUT): exit-code, report-dir, sarif (empty when
# the gate wrote none). The gate appends its Markdown summary to $GITHUB_STEP_SUMMARY itself;
# when it could not run at all, this script writes why there instead.
set -uo pipefail

contracts_bin="${CONTRACTS_BIN:-contracts}"
report_dir="${INPUT_REPORT_DIR:-contracts-reports}"
args=(gate --report-dir "$report_dir")
apis="${INPUT_APIS:-}"
for api in ${apis//,/ }; do
  args+=(--api "$api")
done
case "${INPUT_LIVE:-false}" in
  true|True|TRUE|1|yes) args+=(--live) ;;
  false|False|FALSE|0|no|"") ;;
  *) echo "::error::input 'live' must be true or false, not '${INPUT_LIVE}'"; exit 2 ;;
esac
if [ -n "${INPUT_CONFIG:-}" ]; then
  args+=(--config "$INPUT_CONFIG")
fi
if [ -n "${INPUT_ARGS:-}" ]; then
  read -r -a extra <<< "$INPUT_ARGS"
  args+=("${extra[@]}")
fi

echo "running: $contracts_bin ${args[*]}"
errors="$(mktemp)"
"$contracts_bin" "${args[@]}" 2> >(tee "$errors" >&2)
code=$?
wait  # the tee above

sarif=""
if [ -f "$report_dir/report.sarif" ]; then
  sarif="$report_dir/report.sarif"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$code"
    echo "report-dir=$report_dir"
    echo "sarif=$sarif"
  } >> "$GITHUB_OUTPUT"
fi
if [ "$code" -ne 0 ] && [ "$code" -ne 1 ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "## contracts gate could not run (exit code $code)"
    echo
    echo '```'
    grep '^contracts:' "$errors" | tail -n 5
    echo '```'
  } >> "$GITHUB_STEP_SUMMARY"
fi
rm -f "$errors"
case "$code" in
  0) echo "contracts gate passed" ;;
  1) echo "::error::contracts gate failed: see the job summary and $report_dir/" ;;
  *) echo "::error::contracts gate could not run (exit code $code)" ;;
esac
# The verdict is the action's last step, after the SARIF upload.
exit 0
