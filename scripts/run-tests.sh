#!/usr/bin/env bash
# Run the whole suite against a real Neo4j: the one NEO4J_URI names, or a local one started here
# and stopped afterwards, also when the tests fail.
set -u
cd "$(dirname "$0")/.."
started=0
if [ -z "${NEO4J_URI:-}" ]; then
  if ! bash scripts/neo4j.sh status >/dev/null 2>&1; then
    bash scripts/neo4j.sh start || exit 1
    started=1
  fi
fi
# This checkout's server, even when another checkout's server wrote the per-user connection file.
if [ -z "${NEO4J_URI:-}" ] && [ -f .neo4j/connection.env ]; then
  set -a
  . ./.neo4j/connection.env
  set +a
fi
stop() { [ "$started" = 1 ] && bash scripts/neo4j.sh stop; }
trap stop EXIT
.venv/bin/ruff check graphaudit tests bench || exit 1
.venv/bin/pytest -q "$@"
