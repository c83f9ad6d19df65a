package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

// FerretDB 1.24 looks documents up by _id with `WHERE _ferretdb_sjson->'$._id' = ?`, but the
// unique index it creates for _id is on `_ferretdb_sjson->"_id"`. SQLite uses an expression
// index only for the very same expression, so every lookup by _id reads and parses every
// document of the collection. keepIDIndexes gives each collection table an index on the
// expression the lookups use; FerretDB does not list it and drops it with its table.

const idIndexSuffix = "__id_lookup"

// seen is what the last round found of a database file: its inode and modification times
// (the file's and its write-ahead log's), and the schema version its tables were indexed at.
type seen struct {
	inode   uint64
	stamp   string
	indexed int64
}

// keepIDIndexes indexes the tables of every database file in dir, now and every interval.
//
// With nothing written, a round costs a directory listing and two stat calls per file: a file
// whose modification times did not move is not opened. One that moved is opened for the round
// (FerretDB deletes the file of a dropped database, and a connection kept open to it would
// stand in the way of the next file under that name) and its tables listed only when its
// `PRAGMA schema_version` moved, which SQLite does with every table or index created.
func keepIDIndexes(ctx context.Context, dir string, interval time.Duration, logger *slog.Logger) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()

	files := map[string]seen{}
	for {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		present := make(map[string]bool, len(paths))
		for _, path := range paths {
			present[path] = true
			if err := look(ctx, files, path, logger); err != nil && ctx.Err() == nil {
				logger.Warn("id lookup index", "file", path, "error", err)
			}
		}
		for path := range files {
			if !present[path] {
				delete(files, path)
			}
		}

		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// look indexes the file at path if it was written since the last round and its schema moved.
func look(ctx context.Context, files map[string]seen, path string, logger *slog.Logger) error {
	inode, stamp, err := stampOf(path)
	if err != nil {
		return nil // removed since the listing: the next round forgets it
	}
	last, known := files[path]
	if known && last.inode == inode && last.stamp == stamp {
		return nil
	}
	if !known || last.inode != inode {
		last = seen{inode: inode, indexed: -1}
	}

	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()

	version, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if version != last.indexed {
		if err = indexTables(ctx, db, filepath.Base(path), logger); err != nil {
			return err
		}
		// Our own indexes moved the version on: note the one they left.
		if last.indexed, err = schemaVersion(ctx, db); err != nil {
			return err
		}
	}
	// The stamp from before the round: a write during it brings the file back next round.
	last.stamp = stamp
	files[path] = last
	return nil
}

// stampOf is the file's inode and the modification times and sizes of it and its WAL.
func stampOf(path string) (uint64, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, "", err
	}
	var inode uint64
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		inode = st.Ino
	}
	stamp := fmt.Sprint(info.ModTime().UnixNano(), info.Size())
	if wal, err := os.Stat(path + "-wal"); err == nil {
		stamp += fmt.Sprint("/", wal.ModTime().UnixNano(), wal.Size())
	}
	return inode, stamp, nil
}

func schemaVersion(ctx context.Context, db *sql.DB) (int64, error) {
	var version int64
	err := db.QueryRowContext(ctx, "PRAGMA schema_version").Scan(&version)
	return version, err
}

// indexTables creates the missing lookup indexes of one database file.
func indexTables(ctx context.Context, db *sql.DB, file string, logger *slog.Logger) error {
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
		logger.Debug("id lookup index created", "file", file, "table", table)
	}

	return nil
}
