#!/bin/sh
# Runs once, on the first start of the PostgreSQL volume: the owner role (runs migrations,
# owns the database) and the application role (owns nothing, cannot bypass RLS).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$PHR_OWNER_PASSWORD" -v app_password="$PHR_APP_PASSWORD" <<'SQL'
CREATE ROLE phr_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE phr_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT PASSWORD :'app_password';
CREATE DATABASE phr OWNER phr_owner;
\connect phr
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO phr_owner;
SQL
