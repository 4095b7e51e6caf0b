#!/usr/bin/env bash
# Writes Wolverine's handler code to src/EnrolmentCases.Api/Internal/Generated, which Release builds
# compile and load instead of generating code at start-up. Run it after adding or changing an
# endpoint, a message handler or middleware, and commit the result (the GeneratedCodeIsCurrent test
# fails until you do). Needs no database.
#   scripts/codegen.sh             regenerate
#   scripts/codegen.sh --if-stale  only when a source file, the project or its settings changed since
#                                  the code was last written (what run.sh and, outside CI, test.sh do)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
project=src/EnrolmentCases.Api
marker="$project/Internal/Generated/WolverineHandlers/GeneratedHandlerRegistry.cs"
if [ "${1:-}" = "--if-stale" ] && [ -f "$marker" ] && [ -z "$(find "$project" \( -name '*.cs' -o -name '*.csproj' -o -name 'appsettings*.json' \) \
    -not -path '*/Internal/Generated/*' -not -path '*/bin/*' -not -path '*/obj/*' -newer "$marker" -print -quit)" ]; then
  exit 0
fi
echo "Generating Wolverine's handler code (scripts/codegen.sh)..." >&2
# A Debug build leaves the generated files out, so stale ones cannot stop it from compiling.
dotnet build "$project" -c Debug -nologo -v quiet -clp:ErrorsOnly >&2
rm -rf "$project/Internal/Generated"
# The code depends on the registered services, not on a database: any connection string will do.
(cd "$project" && ConnectionStrings__Marten="${ConnectionStrings__Marten:-Host=127.0.0.1;Database=codegen}" \
  ASPNETCORE_ENVIRONMENT=Development dotnet bin/Debug/net10.0/EnrolmentCases.Api.dll codegen write) \
  2> >(grep -v -e '^Searching' -e 'PublicKeyToken' -e '^for commands' -e '^commands$' >&2) | grep -c 'Wrote generated code file' \
  | xargs -I{} echo "Wrote {} files to $project/Internal/Generated" >&2
