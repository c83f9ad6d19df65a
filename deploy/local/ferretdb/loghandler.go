package main

import (
	"context"
	"log/slog"
)

// lazyHandler defers a logger's With attributes until a record is written.
//
// FerretDB's SQL layer calls `logger.With(query, args).DebugContext(...)` around every
// statement, the arguments being whole documents. slog's text handler formats With attributes
// at once, whatever the level, so at level info every statement paid for quoting its documents
// into a string nobody reads (a tenth of the store's CPU under load). This handler keeps the
// attributes and groups as given and applies them to the wrapped handler only for a record
// that is written.
type lazyHandler struct {
	inner slog.Handler
	steps []func(slog.Handler) slog.Handler // With/WithGroup calls, in order
}

func newLazyHandler(inner slog.Handler) *lazyHandler {
	return &lazyHandler{inner: inner}
}

func (h *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *lazyHandler) Handle(ctx context.Context, record slog.Record) error {
	handler := h.inner
	for _, step := range h.steps {
		handler = step(handler)
	}
	return handler.Handle(ctx, record)
}

func (h *lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(func(inner slog.Handler) slog.Handler { return inner.WithAttrs(attrs) })
}

func (h *lazyHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(func(inner slog.Handler) slog.Handler { return inner.WithGroup(name) })
}

func (h *lazyHandler) with(step func(slog.Handler) slog.Handler) *lazyHandler {
	steps := make([]func(slog.Handler) slog.Handler, len(h.steps), len(h.steps)+1)
	copy(steps, h.steps)
	return &lazyHandler{inner: h.inner, steps: append(steps, step)}
}
