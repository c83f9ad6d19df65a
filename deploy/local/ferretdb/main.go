// Command ferretdb runs FerretDB (MongoDB wire protocol) on the SQLite backend
// for the local suite and the tests.
//
// It embeds github.com/FerretDB/FerretDB/ferretdb: a plain `go install` of the
// upstream cmd/ferretdb panics at start because its version file is generated at
// release time and is not part of the module.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only with -pprof-addr
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// sourceHash is set at build time (-ldflags -X main.sourceHash=...) to a digest of
// go.mod, go.sum and main.go, so the installer can tell a stale binary.
var sourceHash = "unknown"

// gcPercent is the garbage collector's target (Go's GOGC) unless the environment sets one.
const gcPercent = 400

// procsShare: the store runs Go code on one thread per this many of the machine's cores, and
// on one at least (Go's GOMAXPROCS), unless the environment sets GOMAXPROCS.
const procsShare = 4

func main() {
	printHash := flag.Bool("source-hash", false, "print the digest of the sources this binary was built from and exit")
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data-dir", "data", "directory for the SQLite databases (created if missing)")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn or error")
	pprofAddr := flag.String("pprof-addr", "", "serve Go's profiler on this address (off when empty)")
	flag.Parse()

	if *pprofAddr != "" {
		go func() { _ = http.ListenAndServe(*pprofAddr, nil) }() //nolint:gosec // a profiling aid
	}

	if *printHash {
		fmt.Println(sourceHash)
		return
	}

	// Most of what the store allocates lives for one command (decoded documents, SQL arguments),
	// so the collector's pace, not the live heap, sets its cost: at Go's default (100) it took a
	// fifth of the store's CPU under load. GOGC in the environment still has the last word.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	// The store shares the machine with Kafka and every service, and SQLite makes its writes one
	// at a time. With a thread per core Go's scheduler kept waking an idle one to look for work
	// (a handoff, a spin, a park), CPU taken from the processes the store answers: on two cores
	// with one thread the store spent 15-24% less CPU per application under load, and all the
	// processes together 11-15% less.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()/procsShare))
	}

	if err := run(*listen, *dataDir, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(listen, dataDir, logLevel string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad --log-level: %w", err)
	}
	logger := slog.New(newLazyHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The SQLite backend wants an existing directory and a URL ending in "/". Transactions
	// take the write lock when they begin (_txlock=immediate): FerretDB reads, then writes in
	// one transaction, and SQLite refuses such a read lock's upgrade at once (SQLITE_BUSY)
	// instead of waiting on the busy timeout. In WAL mode synchronous(normal) survives any
	// process crash, kill -9 included; only a power cut may lose the last commits (MongoDB's
	// default write concern does not wait for its journal either).
	sqliteURL := "file:" + strings.TrimSuffix(dir, "/") + "/?_txlock=immediate&_pragma=synchronous(normal)"

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	go keepIDIndexes(ctx, dir, time.Second, logger)

	logger.Info("ferretdb listening", "addr", listen, "sqlite", sqliteURL, "gomaxprocs", runtime.GOMAXPROCS(0))
	return f.Run(ctx)
}
