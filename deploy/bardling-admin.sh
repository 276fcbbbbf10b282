#!/bin/sh
# Run a bardling command with the systemd service's settings, as its user (see deploy/README.md):
#   sudo bardling-admin jobs list
# The settings file is readable by root only, so it is read here, before dropping to the user.
set -eu
ENV_FILE=${BARDLING_ENV_FILE:-/etc/bardling/bardling.env}
set -a
. "$ENV_FILE"
set +a
# The same paths as bardling.service's Environment= lines.
export BARDLING_DATA_DIR=/var/lib/bardling BARDLING_BUNDLED_MODELS_DIR=/opt/bardling/exported_models
export PATH=/opt/bardling/venv/bin:/usr/local/bin:/usr/bin:/bin
exec runuser -u bardling -- /opt/bardling/deploy/entrypoint.sh "$@"
