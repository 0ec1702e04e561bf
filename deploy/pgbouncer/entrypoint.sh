#!/bin/sh
# Writes PgBouncer's configuration from the environment, then runs it in the foreground.
#   PGBOUNCER_DB_HOST / PGBOUNCER_DB_PORT   PostgreSQL behind it (postgres:5432)
#   PGBOUNCER_DB_NAME                        the database clients ask for (factcheck)
#   PGBOUNCER_DB_USER / PGBOUNCER_DB_PASSWORD the role clients log in as; PgBouncer logs in with the same
#   PGBOUNCER_LISTEN_PORT                     6432
# The pooling settings are deploy/pgbouncer/pgbouncer.ini (included at the end).
set -eu
: "${PGBOUNCER_DB_PASSWORD:?set PGBOUNCER_DB_PASSWORD (the database password)}"
dir=/run/pgbouncer
mkdir -p "$dir"
umask 077
printf '"%s" "%s"\n' "${PGBOUNCER_DB_USER:-factcheck}" "$PGBOUNCER_DB_PASSWORD" > "$dir/userlist.txt"
cat > "$dir/pgbouncer.ini" <<INI
[databases]
${PGBOUNCER_DB_NAME:-factcheck} = host=${PGBOUNCER_DB_HOST:-postgres} port=${PGBOUNCER_DB_PORT:-5432} dbname=${PGBOUNCER_DB_NAME:-factcheck}

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = ${PGBOUNCER_LISTEN_PORT:-6432}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
admin_users = ${PGBOUNCER_DB_USER:-factcheck}
%include /etc/pgbouncer/factcheck.ini
INI
exec pgbouncer "$dir/pgbouncer.ini"
