#!/bin/sh
# Creates the private records bucket. CORS for the portal's origin is MinIO's own setting
# (MINIO_API_CORS_ALLOW_ORIGIN in docker-compose.yml).
set -eu
until mc alias set phr http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do sleep 1; done
mc mb --ignore-existing "phr/$S3_BUCKET"
mc anonymous set none "phr/$S3_BUCKET"
