#!/bin/sh
# make-db.sh builds the Podman SQLite state fixtures (db.sql) with the
# sqlite3 CLI: Podman's schema (schema.sql) and one ContainerConfig and
# ContainerState row per container, whose JSON is json/NAME.config.json
# and json/NAME.state.json (compacted, as Podman stores it). The ID, Name,
# State and ExitCode columns are taken from that JSON, as Podman fills
# them from the same structs. See ../README.md.
set -eu
cd "$(dirname "$0")"

# db OUT STATICDIR TMPDIR GRAPHROOT RUNROOT NAME...: writes OUT.
db() {
	out=$1 static=$2 tmp=$3 graph=$4 run=$5
	shift 5
	rm -f "$out" "$out-wal" "$out-journal"
	mkdir -p "$(dirname "$out")"
	{
		cat schema.sql
		echo "BEGIN;"
		echo "INSERT INTO DBConfig VALUES (1, 1, 'linux', '$static', '$tmp', '$graph', '$run', 'overlay', '$graph/volumes');"
		for n in "$@"; do
			cat <<SQL
INSERT INTO IDNamespace SELECT json_extract(j, '\$.id') FROM (SELECT CAST(readfile('json/$n.config.json') AS TEXT) AS j);
INSERT INTO ContainerConfig SELECT json_extract(j, '\$.id'), json_extract(j, '\$.name'), NULL, json(j)
	FROM (SELECT CAST(readfile('json/$n.config.json') AS TEXT) AS j);
INSERT INTO ContainerState SELECT json_extract(c, '\$.id'), json_extract(s, '\$.state'), coalesce(json_extract(s, '\$.exitCode'), 0), json(s)
	FROM (SELECT CAST(readfile('json/$n.config.json') AS TEXT) AS c, CAST(readfile('json/$n.state.json') AS TEXT) AS s);
SQL
		done
		echo "COMMIT;"
	} | sqlite3 -bail "$out"
}

db root/var/lib/containers/storage/db.sql \
	/var/lib/containers/storage/libpod /run/libpod \
	/var/lib/containers/storage /run/containers/storage \
	sq-priv sq-web sq-stopped
db root/home/alice/.local/share/containers/storage/db.sql \
	/home/alice/.local/share/containers/storage/libpod /run/user/1000/libpod/tmp \
	/home/alice/.local/share/containers/storage /run/user/1000/containers \
	alice-dev
