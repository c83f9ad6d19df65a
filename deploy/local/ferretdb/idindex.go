package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

// FerretDB 1.24 looks documents up by _id with `WHERE _ferretdb_sjson->'$._id' = ?`, but the
// unique index it creates for _id is on `_ferretdb_sjson->"_id"`. SQLite uses an expression
// index only for the very same expression, so every lookup by _id reads and parses every
// document of the collection. keepIDIndexes gives each collection table an index on the
// expression the lookups use; FerretDB does not list it and drops it with its table.

const idIndexSuffix = "__id_lookup"

// keepIDIndexes indexes the tables of every database file in dir, now and every interval.
func keepIDIndexes(ctx context.Context, dir string, interval time.Duration, logger *slog.Logger) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()

	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			if err := indexFile(ctx, file, logger); err != nil && ctx.Err() == nil {
				logger.Warn("id lookup index", "file", file, "error", err)
			}
		}

		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// indexFile creates the missing lookup indexes of one database file. It opens the file for
// the round only: FerretDB deletes the file of a dropped database.
func indexFile(ctx context.Context, file string, logger *slog.Logger) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()

	rows, err := db.QueryContext(ctx, `
		SELECT t.name FROM sqlite_master AS t
		WHERE t.type = 'table' AND t.sql LIKE '%_ferretdb_sjson TEXT%'
		AND NOT EXISTS (SELECT 1 FROM sqlite_master AS i
		                WHERE i.type = 'index' AND i.name = t.name || ?)`, idIndexSuffix)
	if err != nil {
		return err
	}

	var tables []string
	for rows.Next() {
		var name string
		if err = rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, name)
	}
	rows.Close()

	for _, table := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`,
			table+idIndexSuffix, table)
		if _, err = db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		logger.Debug("id lookup index created", "file", filepath.Base(file), "table", table)
	}

	return nil
}
